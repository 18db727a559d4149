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
	v, err := jsonvalue.Parse(event)
	if err != nil {
		return nil, errcode.Context(err, "room event")
	}
	ev, err := jsonvalue.AsObject(v, "room event")
	if err != nil {
		return nil, err
	}
	sender := ev.String("sender")
	content := ev.Object("content")
	session := content.OptString("session_id")
	senderKey := content.OptString("sender_key")
	if err := ev.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.d.DecryptRoomEvent(room, event)
	switch {
	case err == nil:
	case errcode.Of(err) == device.UnknownSession:
		var w withheldInfo
		var found bool
		if e := m.st.View(func(tx *store.Tx) (e error) { found, e = getRecord(tx, withheldKey(room, session), &w); return e }); e != nil {
			return nil, e
		}
		if found {
			return nil, &WithheldError{Code: w.Code, Reason: w.Reason, err: errcode.Wrap(Withheld, err, "the sender withheld the room key (%s)", w.Code)}
		}
		return nil, m.missingKey(room, session, senderKey, err)
	case errcode.Of(err) == errcode.UnknownMessageIndex:
		return nil, m.missingKey(room, session, senderKey, err)
	default:
		return nil, err
	}
	out := &RoomEvent{RoomEvent: r, Sender: sender}
	if r.SenderKey == m.d.IdentityKeys().Curve25519 {
		if sender != m.user || r.SenderEd25519 != m.d.IdentityKeys().Ed25519 {
			return nil, errcode.New(MismatchedSender, "the room key is this device's own, but the event says it is from %s", sender)
		}
		out.SenderDevice = &KnownDevice{DeviceInfo: device.DeviceInfo{UserID: m.user, DeviceID: m.dev, Curve25519: r.SenderKey, Ed25519: r.SenderEd25519}}
		var v trustView
		if err := m.st.View(func(tx *store.Tx) (err error) { v, err = m.loadTrustView(tx, m.user); return err }); err != nil {
			return nil, err
		}
		out.SenderDevice.Trust, out.SenderDevice.CrossSigned = m.decide(v, m.user, m.dev)
		return out, nil
	}
	info, found, err := m.d.DeviceByCurve25519(r.SenderKey)
	if err != nil {
		return nil, err
	}
	if found {
		if info.UserID != sender || info.Ed25519 != r.SenderEd25519 {
			return nil, errcode.New(MismatchedSender, "the room key was sent by %s device %s, but the event says it is from %s", info.UserID, info.DeviceID, sender)
		}
		devs, err := m.userDevices(sender)
		if err != nil {
			return nil, err
		}
		for i := range devs {
			if devs[i].DeviceID == info.DeviceID {
				out.SenderDevice = &devs[i]
			}
		}
		if out.SenderDevice == nil { // no longer listed: known, but gone
			trust, err := m.trustOf(info.UserID, info.DeviceID)
			if err != nil {
				return nil, err
			}
			out.SenderDevice = &KnownDevice{DeviceInfo: info, Trust: trust}
		}
		return out, nil
	}
	var tracked, outdated bool
	if err := m.st.View(func(tx *store.Tx) (err error) { tracked, outdated, err = m.outdated(tx, sender); return err }); err != nil {
		return nil, err
	}
	if tracked && !outdated {
		return nil, errcode.New(MismatchedSender, "the room key was sent by Curve25519 key %s, which is no device of %s", r.SenderKey, sender)
	}
	// Not known yet: the sender's devices will be queried.
	if !tracked {
		if err := m.track([]string{sender}); err != nil {
			return nil, err
		}
	}
	return out, nil
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
