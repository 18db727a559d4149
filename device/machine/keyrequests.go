package machine

import (
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Room keys arriving, room keys we are missing (asked of our own devices,
// m.room_key_request), and answering our own trusted devices' requests for
// room keys and secrets.

// keyRequest is an m.room_key_request we sent and not yet cancelled.
type keyRequest struct {
	RequestID string
	SenderKey string
}

func keyRequestKey(room, session string) store.Key { return recordKey("keyrequest", room, session) }

func withheldKey(room, session string) store.Key { return recordKey("withheld", room, session) }

type withheldInfo struct {
	Code   string
	Reason string
}

// sessionOf reads room_id and session_id of a room key content.
func sessionOf(content []byte) (room, session string) {
	o, err := jsonvalue.ParseObject(content)
	if err != nil {
		return "", ""
	}
	room, _ = o["room_id"].(string)
	session, _ = o["session_id"].(string)
	return room, session
}

func (m *Machine) roomKeyReceived(ev *device.ToDeviceEvent) ([]Event, error) {
	out, err := m.d.ImportRoomKey(ev.Content, device.RoomKeySource{Kind: "m.room_key", SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519})
	if err != nil {
		return nil, err
	}
	room, session := sessionOf(ev.Content)
	if !ev.Verified {
		// A device we have not seen: its keys are needed to name the
		// sender of the room's messages.
		if err := m.markOutdated(ev.Sender); err != nil {
			return nil, err
		}
	}
	return m.keyArrived(room, session, "m.room_key", out)
}

// keyArrived reports a stored key and cancels our request for it.
func (m *Machine) keyArrived(room, session, source string, out device.ImportOutcome) ([]Event, error) {
	if out != device.Imported {
		return nil, nil
	}
	err := m.st.Update(func(tx *store.Tx) error {
		if err := tx.Delete(withheldKey(room, session)); err != nil {
			return err
		}
		var kr keyRequest
		found, err := getRecord(tx, keyRequestKey(room, session), &kr)
		if err != nil || !found {
			return err
		}
		if err := tx.Delete(keyRequestKey(room, session)); err != nil {
			return err
		}
		reqs, err := toDeviceRequests("m.room_key_request", "", map[devRef]any{{m.user, "*"}: map[string]any{
			"action": "request_cancellation", "request_id": kr.RequestID, "requesting_device_id": m.dev,
		}})
		if err != nil {
			return err
		}
		return queue(tx, reqs...)
	})
	if err != nil {
		return nil, err
	}
	return []Event{{"type": "roomKeyReceived", "roomId": room, "sessionId": session, "source": source}}, nil
}

// forwardedKeyReceived accepts an m.forwarded_room_key only from our own
// trusted device, for a key we asked for.
func (m *Machine) forwardedKeyReceived(ev *device.ToDeviceEvent) ([]Event, error) {
	room, session := sessionOf(ev.Content)
	if ev.Sender != m.user || !ev.Verified {
		return nil, errcode.New(errcode.BadInput, "a forwarded room key from %s (device %s) is not from one of our own devices: ignored", ev.Sender, ev.SenderDevice)
	}
	info, found, err := m.d.DeviceByCurve25519(ev.SenderKey)
	if err != nil {
		return nil, err
	}
	if !found || info.UserID != m.user {
		return nil, errcode.New(errcode.BadInput, "a forwarded room key from an unknown device: ignored")
	}
	trust, err := m.trustOf(info.UserID, info.DeviceID)
	if err != nil {
		return nil, err
	}
	if trust != Trusted {
		return nil, errcode.New(errcode.BadInput, "a forwarded room key from our device %s, which is not trusted: ignored", info.DeviceID)
	}
	var asked bool
	if err := m.st.View(func(tx *store.Tx) (err error) {
		_, asked, err = tx.Get(keyRequestKey(room, session))
		return err
	}); err != nil {
		return nil, err
	}
	if !asked {
		return nil, errcode.New(errcode.BadInput, "a forwarded room key for %s we did not ask for: ignored", session)
	}
	out, err := m.d.ImportRoomKey(ev.Content, device.RoomKeySource{Kind: "m.forwarded_room_key", SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519})
	if err != nil {
		return nil, err
	}
	return m.keyArrived(room, session, "m.forwarded_room_key", out)
}

func (m *Machine) withheldReceived(sender string, c jsonvalue.Object, olmSenderKey string) ([]Event, error) {
	room, session := c.OptString("room_id"), c.OptString("session_id")
	code, reason := c.OptString("code"), c.OptString("reason")
	if c.Err() != nil || room == "" || session == "" || code == "" {
		return nil, nil // m.no_olm without a session, or malformed: nothing to record
	}
	// The withheld notice must come from the session's sender; until the
	// key arrives we only know the sender_key the notice claims.
	if olmSenderKey != "" && c.OptString("sender_key") != "" && trimPad(c.OptString("sender_key")) != olmSenderKey {
		return nil, nil
	}
	var held bool
	err := m.st.Update(func(tx *store.Tx) error {
		_, found, err := tx.GetInbound(room, session)
		if err != nil || found {
			held = found
			return err
		}
		return putRecord(tx, withheldKey(room, session), &withheldInfo{Code: code, Reason: reason})
	})
	if err != nil || held {
		return nil, err
	}
	return []Event{{"type": "roomKeyWithheld", "roomId": room, "sessionId": session, "code": code, "reason": reason, "sender": sender}}, nil
}

// requestRoomKey asks our own devices for a missing key (once per session).
func (m *Machine) requestRoomKey(room, session, senderKey string) error {
	return m.st.Update(func(tx *store.Tx) error {
		_, found, err := tx.Get(keyRequestKey(room, session))
		if err != nil || found {
			return err
		}
		kr := keyRequest{RequestID: newID(), SenderKey: senderKey}
		body := map[string]any{"algorithm": megolm.Algorithm, "room_id": room, "session_id": session}
		if senderKey != "" {
			body["sender_key"] = senderKey
		}
		reqs, err := toDeviceRequests("m.room_key_request", "", map[devRef]any{{m.user, "*"}: map[string]any{
			"action": "request", "body": body, "request_id": kr.RequestID, "requesting_device_id": m.dev,
		}})
		if err != nil {
			return err
		}
		if err := putRecord(tx, keyRequestKey(room, session), &kr); err != nil {
			return err
		}
		return queue(tx, reqs...)
	})
}

// waitingAnswer is an answer to one of our devices that needs an Olm
// session first (a key is being claimed).
type waitingAnswer struct {
	to      devRef
	kind    string // "m.room_key_request" or "m.secret.request"
	content jsonvalue.Object
	event   []byte // m.secret.request: the whole event
}

// ownTrustedDevice: a request is answered only for our own other device
// that the caller marked trusted and whose keys we checked.
func (m *Machine) ownTrustedDevice(sender, dev string) (bool, error) {
	if sender != m.user || dev == m.dev || dev == "" {
		return false, nil
	}
	_, known, err := m.d.Device(sender, dev)
	if err != nil || !known {
		return false, err
	}
	trust, err := m.trustOf(sender, dev)
	return trust == Trusted, err
}

func (m *Machine) keyRequestReceived(sender string, c jsonvalue.Object) error {
	dev, action := c.OptString("requesting_device_id"), c.OptString("action")
	if c.Err() != nil || action != "request" {
		if action == "request_cancellation" {
			m.dropWaiting(devRef{sender, dev}, c.OptString("request_id"))
		}
		return nil
	}
	ok, err := m.ownTrustedDevice(sender, dev)
	if err != nil || !ok {
		return err
	}
	return m.answer(waitingAnswer{to: devRef{sender, dev}, kind: "m.room_key_request", content: c})
}

func (m *Machine) secretRequestReceived(sender string, c jsonvalue.Object) error {
	dev, action := c.OptString("requesting_device_id"), c.OptString("action")
	if c.Err() != nil || action != "request" {
		if action == "request_cancellation" {
			m.dropWaiting(devRef{sender, dev}, c.OptString("request_id"))
		}
		return nil
	}
	ok, err := m.ownTrustedDevice(sender, dev)
	if err != nil || !ok {
		return err
	}
	ev, err := encodeJSON(map[string]any{"type": "m.secret.request", "sender": sender, "content": c.Map()})
	if err != nil {
		return err
	}
	return m.answer(waitingAnswer{to: devRef{sender, dev}, kind: "m.secret.request", content: c, event: ev})
}

// answer sends the answer, or waits for an Olm session (claiming a key).
func (m *Machine) answer(w waitingAnswer) error {
	has, err := m.d.HasOlmSession(w.to.User, w.to.Device)
	if err != nil {
		return err
	}
	if !has {
		if m.claimFailed[w.to] {
			return nil
		}
		m.waiting = append(m.waiting, w)
		return m.ensureClaim([]devRef{w.to})
	}
	var encrypted []byte
	switch w.kind {
	case "m.room_key_request":
		body, _ := w.content.OptObject("body")
		room, session := body.OptString("room_id"), body.OptString("session_id")
		if room == "" || session == "" {
			return nil
		}
		fwd, err := m.d.ForwardRoomKey(room, session)
		if errcode.Of(err) == device.UnknownSession || errcode.Of(err) == errcode.BadInput {
			return nil // not held here
		}
		if err != nil {
			return err
		}
		// The ratchet step and the request carrying the key commit together.
		_, _, err = m.d.EncryptToDevicesWith([]device.DeviceRef{{UserID: w.to.User, DeviceID: w.to.Device}}, "m.forwarded_room_key", fwd,
			func(tx *store.Tx, out map[device.DeviceRef][]byte) error {
				for _, c := range out {
					v, err := jsonvalue.Parse(c)
					if err != nil {
						return err
					}
					reqs, err := toDeviceRequests("m.room.encrypted", "", map[devRef]any{w.to: v})
					if err != nil {
						return err
					}
					return queue(tx, reqs...)
				}
				return nil
			})
		return err
	case "m.secret.request":
		if encrypted, err = m.d.AnswerSecretRequest(w.event, true); err != nil || encrypted == nil {
			return err
		}
	}
	return m.queueEncrypted(map[devRef][]byte{w.to: encrypted}, "")
}

// queueEncrypted persists m.room.encrypted to-device messages.
func (m *Machine) queueEncrypted(msgs map[devRef][]byte, room string) error {
	if len(msgs) == 0 {
		return nil
	}
	messages := map[devRef]any{}
	for r, c := range msgs {
		v, err := jsonvalue.Parse(c)
		if err != nil {
			return err
		}
		messages[r] = v
	}
	reqs, err := toDeviceRequests("m.room.encrypted", room, messages)
	if err != nil {
		return err
	}
	return m.st.Update(func(tx *store.Tx) error { return queue(tx, reqs...) })
}

func (m *Machine) dropWaiting(to devRef, requestID string) {
	keep := m.waiting[:0]
	for _, w := range m.waiting {
		if w.to == to && w.content.OptString("request_id") == requestID {
			continue
		}
		keep = append(keep, w)
	}
	m.waiting = keep
}

// retryWaiting answers the waiting requests whose device now has a session
// (or drops them when no key could be claimed).
func (m *Machine) retryWaiting() error {
	waiting := m.waiting
	m.waiting = nil
	for _, w := range waiting {
		if m.claimFailed[w.to] {
			continue
		}
		has, err := m.d.HasOlmSession(w.to.User, w.to.Device)
		if err != nil {
			return err
		}
		if !has {
			m.waiting = append(m.waiting, w)
			continue
		}
		if err := m.answer(w); err != nil && isStoreFailure(err) {
			return err
		}
	}
	return nil
}

// --- secrets ----------------------------------------------------------------

// RequestSecret asks our own devices for a secret; the answer arrives as a
// secretReceived event.
func (m *Machine) RequestSecret(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.d.RequestSecret(name)
	if err != nil {
		return err
	}
	c, err := jsonvalue.Parse(r.Content)
	if err != nil {
		return err
	}
	reqs, err := toDeviceRequests("m.secret.request", "", map[devRef]any{{m.user, "*"}: c})
	if err != nil {
		return err
	}
	return m.st.Update(func(tx *store.Tx) error { return queue(tx, reqs...) })
}

func (m *Machine) secretReceived(ev *device.ToDeviceEvent) ([]Event, error) {
	info, found, err := m.d.DeviceByCurve25519(ev.SenderKey)
	if err != nil {
		return nil, err
	}
	trusted := false
	if found && info.UserID == m.user {
		t, err := m.trustOf(info.UserID, info.DeviceID)
		if err != nil {
			return nil, err
		}
		trusted = t == Trusted
	}
	sec, err := m.d.ReceiveSecret(ev, trusted)
	if err != nil {
		return nil, err
	}
	c, err := jsonvalue.ParseObject(ev.Content)
	if err != nil {
		return nil, err
	}
	requestID, _ := c["request_id"].(string)
	cancel, err := m.d.CancelSecretRequest(requestID)
	if err != nil {
		return nil, err
	}
	cv, err := jsonvalue.Parse(cancel)
	if err != nil {
		return nil, err
	}
	reqs, err := toDeviceRequests("m.secret.request", "", map[devRef]any{{m.user, "*"}: cv})
	if err != nil {
		return nil, err
	}
	if err := m.st.Update(func(tx *store.Tx) error { return queue(tx, reqs...) }); err != nil {
		return nil, err
	}
	return []Event{{"type": "secretReceived", "name": sec.Name, "secret": sec.Secret}}, nil
}
