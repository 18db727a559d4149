package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// RoomEncrypted is the result of EncryptRoomEvent.
type RoomEncrypted struct {
	// Content is the m.room.encrypted event content to send to the room.
	Content []byte
	// RoomKey, set when a new session was started (first message or a
	// rotation), is the m.room_key content to send, Olm-encrypted with
	// EncryptToDevice, to every device in the room before Content.
	RoomKey   []byte
	SessionID string
}

// EncryptRoomEvent encrypts an event for a room with its outbound Megolm
// session, starting a new one when there is none or the policy (from
// m.room.encryption: rotation_period_ms, rotation_period_msgs) says the
// current one is used up. The new session's inbound half is kept too, so
// this device can read its own messages and back the key up.
func (d *Device) EncryptRoomEvent(roomID, eventType string, content []byte, policy megolm.RotationPolicy) (*RoomEncrypted, error) {
	if len(roomID) < 2 || roomID[0] != '!' {
		return nil, badInput("room id %q must start with '!'", roomID)
	}
	if eventType == "" {
		return nil, badInput("event type is required")
	}
	c, err := jsonvalue.ParseAsObject(content, "content")
	if err != nil {
		return nil, err
	}
	plaintext, err := encode(map[string]any{"type": eventType, "content": c.Map(), "room_id": roomID})
	if err != nil {
		return nil, err
	}
	out := &RoomEncrypted{}
	err = d.st.Update(func(tx *store.Tx) error {
		s, err := loadOutbound(tx, roomID)
		if err != nil {
			return err
		}
		now := d.now()
		if s == nil || s.NeedsRotation(policy, now) {
			s = megolm.NewOutboundGroupSession()
			s.SetCreatedAt(now)
			if out.RoomKey, err = s.RoomKeyContent(roomID, false); err != nil {
				return err
			}
			own := &inbound{roomID: roomID, s: s.InboundSession(), senderKey: d.identity.Curve25519, senderEd25519: d.identity.Ed25519}
			if _, err := keep(tx, own, false); err != nil {
				return err
			}
		}
		ciphertext, err := s.Encrypt(plaintext)
		if err != nil {
			return err
		}
		if err := tx.Put(store.OutboundKey(roomID), s.MarshalState()); err != nil {
			return err
		}
		out.SessionID = s.SessionID()
		out.Content, err = encode(map[string]any{
			"algorithm":  megolm.Algorithm,
			"sender_key": d.identity.Curve25519,
			"device_id":  d.opts.DeviceID,
			"session_id": s.SessionID(),
			"ciphertext": ciphertext,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func loadOutbound(tx *store.Tx, roomID string) (*megolm.OutboundGroupSession, error) {
	raw, found, err := tx.Get(store.OutboundKey(roomID))
	if err != nil || !found {
		return nil, err
	}
	s, err := megolm.UnmarshalOutboundState(raw)
	if err != nil {
		return nil, errcode.Context(err, "stored outbound session of "+roomID)
	}
	return s, nil
}

// RoomKeyContent returns the m.room_key content of the room's current
// outbound session at its current index, for devices that join later; nil
// when the room has no session yet.
func (d *Device) RoomKeyContent(roomID string) ([]byte, error) {
	var out []byte
	err := d.st.View(func(tx *store.Tx) error {
		s, err := loadOutbound(tx, roomID)
		if err != nil || s == nil {
			return err
		}
		out, err = s.RoomKeyContent(roomID, false)
		return err
	})
	return out, err
}

// DiscardRoomSession drops the room's outbound session so the next
// EncryptRoomEvent starts a new one (a member left, history visibility
// changed).
func (d *Device) DiscardRoomSession(roomID string) error {
	return d.st.Update(func(tx *store.Tx) error { return tx.Delete(store.OutboundKey(roomID)) })
}

// RoomEvent is a decrypted room event.
type RoomEvent struct {
	Type    string
	Content []byte // JSON object
	// SenderKey and SenderEd25519 are the session creator's device keys as
	// the room key said (proven over Olm unless Imported).
	SenderKey, SenderEd25519 string
	SessionID                string
	MessageIndex             uint32
	// Imported: the key did not come from its creator over Olm (forwarded,
	// backup, key file), so the sender keys are only claims.
	Imported bool
}

// DecryptRoomEvent decrypts an m.room.encrypted room event (the whole
// event: event_id, content, and room_id if present). The plaintext must name
// the same room. A second, different event at the same (session, index) is
// REPLAYED_MESSAGE; the record of which event used each index is stored, so
// this holds across restarts. A missing room key is UNKNOWN_SESSION.
func (d *Device) DecryptRoomEvent(roomID string, event []byte) (*RoomEvent, error) {
	p, err := parseRoomEvent(roomID, event)
	if err != nil {
		return nil, err
	}
	var out *RoomEvent
	err = d.st.UpdateFor(p.readAhead(roomID), func(tx *store.Tx) (err error) {
		out, err = d.decryptIn(tx, roomID, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DecryptRoomEvents decrypts a run of events of one room (a timeline) in
// one transaction: one lock, one commit of the replay records of all of
// them, instead of one each. Each event succeeds or fails on its own, with
// the result DecryptRoomEvent would give it after the events before it:
// out[i] or errs[i] is set. err is set, and nothing is written, only when
// the store fails.
func (d *Device) DecryptRoomEvents(roomID string, events [][]byte) (out []*RoomEvent, errs []error, err error) {
	out, errs = make([]*RoomEvent, len(events)), make([]error, len(events))
	parsed := make([]*parsedRoomEvent, len(events))
	var keys []store.Key
	for i, ev := range events {
		if parsed[i], errs[i] = parseRoomEvent(roomID, ev); errs[i] == nil {
			keys = append(keys, parsed[i].readAhead(roomID)...)
		}
	}
	err = d.st.UpdateFor(keys, func(tx *store.Tx) error {
		for i, p := range parsed {
			if p == nil {
				continue
			}
			out[i], errs[i] = d.decryptIn(tx, roomID, p)
			if errs[i] != nil && storeFailed(errs[i]) {
				return errs[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, errs, nil
}

// storeFailed tells a failure of the store (or a bug), which ends a batch
// and writes nothing, from one event's own failure.
func storeFailed(err error) bool {
	switch errcode.Of(err) {
	case errcode.Internal, store.StoreFailure, store.StoreCorrupt, store.StoreRolledBack, store.StoreVersion, store.Closed:
		return true
	}
	return false
}

// parsedRoomEvent is what decryption needs of an m.room.encrypted event.
type parsedRoomEvent struct {
	eventID, sessionID, ciphertext string
}

func parseRoomEvent(roomID string, event []byte) (*parsedRoomEvent, error) {
	ev, err := jsonvalue.ParseAsObject(event, "room event")
	if err != nil {
		return nil, err
	}
	p := &parsedRoomEvent{eventID: ev.String("event_id")}
	evRoom := ev.OptString("room_id")
	content := ev.Object("content")
	alg := content.String("algorithm")
	p.sessionID = content.String("session_id")
	p.ciphertext = content.String("ciphertext")
	if err := ev.Err(); err != nil {
		return nil, err
	}
	if evRoom != "" && evRoom != roomID {
		return nil, badInput("the event is from room %s, not %s", evRoom, roomID)
	}
	if alg != megolm.Algorithm {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "room event algorithm %q is not supported (only %s)", alg, megolm.Algorithm)
	}
	return p, nil
}

// readAhead: the session and the replay record its index needs are read
// together (one IndexedDB transaction); the index is trusted only once the
// message decrypts, and a message that does not parse fails in decryptIn.
func (p *parsedRoomEvent) readAhead(roomID string) []store.Key {
	keys := []store.Key{store.InboundKey(roomID, p.sessionID)}
	if index, err := megolm.MessageIndex(p.ciphertext); err == nil {
		keys = append(keys, replayKey(p.sessionID, index))
	}
	return keys
}

// decryptIn decrypts one event in tx. It writes only once the event has
// decrypted and passed every check (the replay record, last), so a failed
// event leaves tx as it found it.
func (d *Device) decryptIn(tx *store.Tx, roomID string, p *parsedRoomEvent) (*RoomEvent, error) {
	ss, found, err := tx.GetInbound(roomID, p.sessionID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errcode.New(UnknownSession, "no room key for session %s in %s (not received yet: request it or restore it from backup)", p.sessionID, roomID)
	}
	in, err := d.ratchets.inboundFor(ss)
	if err != nil {
		return nil, err
	}
	pt, index, err := in.s.Decrypt(p.ciphertext)
	if err != nil {
		return nil, err
	}
	out, err := checkRoomPlaintext(pt, roomID)
	if err != nil {
		return nil, err
	}
	out.SenderKey, out.SenderEd25519, out.SessionID, out.MessageIndex, out.Imported = in.senderKey, in.senderEd25519, in.s.SessionID(), index, in.imported
	if err := checkReplay(tx, in.s.SessionID(), index, p.eventID); err != nil {
		return nil, err
	}
	return out, nil
}

func checkRoomPlaintext(pt []byte, roomID string) (*RoomEvent, error) {
	v, err := jsonvalue.Parse(pt)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "the decrypted event is not JSON")
	}
	p, err := jsonvalue.AsObject(v, "decrypted event")
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "the decrypted event is not a JSON object")
	}
	typ := p.String("type")
	content := p.Object("content")
	room := p.String("room_id")
	if err := p.Err(); err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "malformed decrypted event")
	}
	if room != roomID {
		return nil, errcode.New(errcode.BadMessage, "the decrypted event is for room %s, not %s: it was moved between rooms", room, roomID)
	}
	ev := &RoomEvent{Type: typ}
	if ev.Content, err = encode(content.Map()); err != nil {
		return nil, err
	}
	return ev, nil
}
