package machine

import (
	"errors"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// RoomEvent is a decrypted room event with its sender checked.
type RoomEvent struct {
	*device.RoomEvent
	Sender string
	// SenderDevice owns the Curve25519 key that sent the room key; nil when
	// the sender's devices are not known yet (a query is queued).
	SenderDevice *KnownDevice
}

// WithheldError is a WITHHELD failure: the sender's code and reason.
type WithheldError struct {
	Code, Reason string
	err          error
}

func (e *WithheldError) Error() string { return e.err.Error() }
func (e *WithheldError) Unwrap() error { return e.err }

// AsWithheld returns the WithheldError inside err, if any.
func AsWithheld(err error) (*WithheldError, bool) {
	var w *WithheldError
	ok := errors.As(err, &w)
	return w, ok
}

// DecryptRoomEvent decrypts a room event and checks that the room key came
// from a device of the event's sender. Failures: UNKNOWN_SESSION (a key
// request to our devices and, with a backup key, a backup fetch are
// queued), UNKNOWN_MESSAGE_INDEX (likewise), WITHHELD, REPLAYED_MESSAGE,
// MISMATCHED_SENDER.
func (m *Machine) DecryptRoomEvent(room string, event []byte) (*RoomEvent, error) {
	p, err := parseMachineEvent(event)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// One store lock for the decryption and the sender checks after it.
	release, err := m.st.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	r, err := m.d.DecryptRoomEvent(room, event)
	return m.finishDecrypt(room, p, r, err, nil)
}

// DecryptRoomEvents decrypts a run of events of one room (a timeline):
// one store lock and one commit for all of them. out[i] or errs[i] is set
// for each event, as DecryptRoomEvent would have returned it after the
// events before it. err is set only when the store fails; then nothing
// was recorded.
func (m *Machine) DecryptRoomEvents(room string, events [][]byte) (out []*RoomEvent, errs []error, err error) {
	out, errs = make([]*RoomEvent, len(events)), make([]error, len(events))
	parsed := make([]*machineEvent, len(events))
	var todo [][]byte
	var at []int
	for i, ev := range events {
		if parsed[i], errs[i] = parseMachineEvent(ev); errs[i] == nil {
			todo, at = append(todo, ev), append(at, i)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	release, err := m.st.Hold()
	if err != nil {
		return nil, nil, err
	}
	defer release()
	rs, rerrs, err := m.d.DecryptRoomEvents(room, todo)
	if err != nil {
		return nil, nil, err
	}
	senders := map[senderRef]senderResult{}
	for j, i := range at {
		out[i], errs[i] = m.finishDecrypt(room, parsed[i], rs[j], rerrs[j], senders)
		if errs[i] != nil && isStoreFailure(errs[i]) {
			return nil, nil, errs[i]
		}
	}
	return out, errs, nil
}

// machineEvent is what the machine reads of a room event itself.
type machineEvent struct {
	sender, session, senderKey string
}

func parseMachineEvent(event []byte) (*machineEvent, error) {
	v, err := jsonvalue.Parse(event)
	if err != nil {
		return nil, errcode.Context(err, "room event")
	}
	ev, err := jsonvalue.AsObject(v, "room event")
	if err != nil {
		return nil, err
	}
	p := &machineEvent{sender: ev.String("sender")}
	content := ev.Object("content")
	p.session = content.OptString("session_id")
	p.senderKey = content.OptString("sender_key")
	if err := ev.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// senderRef and senderResult cache, within one batch, the sender check of
// a (sender, device keys) triple: it reads the same records for every
// event of that sender, and nothing it depends on changes in the batch.
type senderRef struct{ sender, curve, ed string }

type senderResult struct {
	dev *KnownDevice
	err error
}

// finishDecrypt turns the device's result into the machine's: a missing
// key is asked for, and the sender is checked. senders, when not nil,
// caches sender checks across a batch.
func (m *Machine) finishDecrypt(room string, p *machineEvent, r *device.RoomEvent, err error, senders map[senderRef]senderResult) (*RoomEvent, error) {
	switch {
	case err == nil:
	case errcode.Of(err) == device.UnknownSession:
		var w withheldInfo
		var found bool
		if e := m.st.View(func(tx *store.Tx) (e error) { found, e = getRecord(tx, withheldKey(room, p.session), &w); return e }); e != nil {
			return nil, e
		}
		if found {
			return nil, &WithheldError{Code: w.Code, Reason: w.Reason, err: errcode.Wrap(Withheld, err, "the sender withheld the room key (%s)", w.Code)}
		}
		return nil, m.missingKey(room, p.session, p.senderKey, err)
	case errcode.Of(err) == errcode.UnknownMessageIndex:
		return nil, m.missingKey(room, p.session, p.senderKey, err)
	default:
		return nil, err
	}
	out := &RoomEvent{RoomEvent: r, Sender: p.sender}
	ref := senderRef{p.sender, r.SenderKey, r.SenderEd25519}
	if c, ok := senders[ref]; ok {
		if c.err != nil {
			return nil, c.err
		}
		if c.dev != nil {
			d := *c.dev
			out.SenderDevice = &d
		}
		return out, nil
	}
	dev, cacheable, err := m.senderDevice(p.sender, r)
	if cacheable && senders != nil {
		senders[ref] = senderResult{dev, err}
	}
	if err != nil {
		return nil, err
	}
	if dev != nil {
		d := *dev
		out.SenderDevice = &d
	}
	return out, nil
}

// senderDevice checks that the room key of r came from a device of sender
// and returns that device (nil: not known yet, a query is queued).
// cacheable: the answer stays the same for the sender's other events in a
// batch (it is not, when the sender was only now marked for tracking).
func (m *Machine) senderDevice(sender string, r *device.RoomEvent) (dev *KnownDevice, cacheable bool, err error) {
	if r.SenderKey == m.d.IdentityKeys().Curve25519 {
		if sender != m.user || r.SenderEd25519 != m.d.IdentityKeys().Ed25519 {
			return nil, true, errcode.New(MismatchedSender, "the room key is this device's own, but the event says it is from %s", sender)
		}
		dev = &KnownDevice{DeviceInfo: device.DeviceInfo{UserID: m.user, DeviceID: m.dev, Curve25519: r.SenderKey, Ed25519: r.SenderEd25519}}
		var v trustView
		if err := m.st.View(func(tx *store.Tx) (err error) { v, err = m.loadTrustView(tx, m.user); return err }); err != nil {
			return nil, false, err
		}
		dev.Trust, dev.CrossSigned = m.decide(v, m.user, m.dev)
		return dev, true, nil
	}
	info, found, err := m.d.DeviceByCurve25519(r.SenderKey)
	if err != nil {
		return nil, false, err
	}
	if found {
		if info.UserID != sender || info.Ed25519 != r.SenderEd25519 {
			return nil, true, errcode.New(MismatchedSender, "the room key was sent by %s device %s, but the event says it is from %s", info.UserID, info.DeviceID, sender)
		}
		devs, err := m.userDevices(sender)
		if err != nil {
			return nil, false, err
		}
		for i := range devs {
			if devs[i].DeviceID == info.DeviceID {
				dev = &devs[i]
			}
		}
		if dev == nil { // no longer listed: known, but gone
			trust, err := m.trustOf(info.UserID, info.DeviceID)
			if err != nil {
				return nil, false, err
			}
			dev = &KnownDevice{DeviceInfo: info, Trust: trust}
		}
		return dev, true, nil
	}
	var tracked, outdated bool
	if err := m.st.View(func(tx *store.Tx) (err error) { tracked, outdated, err = m.outdated(tx, sender); return err }); err != nil {
		return nil, false, err
	}
	if tracked && !outdated {
		return nil, true, errcode.New(MismatchedSender, "the room key was sent by Curve25519 key %s, which is no device of %s", r.SenderKey, sender)
	}
	// Not known yet: the sender's devices will be queried.
	if !tracked {
		if err := m.track([]string{sender}); err != nil {
			return nil, false, err
		}
	}
	return nil, tracked, nil
}

// missingKey asks for a key we lack and returns the decryption error.
func (m *Machine) missingKey(room, session, senderKey string, cause error) error {
	if session == "" {
		return cause
	}
	if err := m.requestRoomKey(room, session, trimPad(senderKey)); err != nil {
		return err
	}
	if err := m.fetchFromBackup(room, session); err != nil {
		return err
	}
	return cause
}
