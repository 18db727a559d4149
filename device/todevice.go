package device

import (
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"strconv"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// EncryptToDevice encrypts a to-device event for one device with the most
// recently used Olm session, and returns the m.room.encrypted content. The
// Olm payload carries sender, recipient, recipient_keys and keys so the
// receiver can check who it is from and that it was meant for it.
func (d *Device) EncryptToDevice(userID, deviceID, eventType string, content []byte) ([]byte, error) {
	if eventType == "" {
		return nil, badInput("event type is required")
	}
	c, err := jsonvalue.ParseAsObject(content, "content")
	if err != nil {
		return nil, err
	}
	var out []byte
	err = d.st.Update(func(tx *store.Tx) error {
		out, err = d.encryptToDevice(tx, userID, deviceID, eventType, c.Map())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *Device) encryptToDevice(tx *store.Tx, userID, deviceID, eventType string, content map[string]any) ([]byte, error) {
	info, found, err := getDevice(tx, store.DeviceKey(userID, deviceID))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errcode.New(NoOlmSession, "device %s/%s is unknown: pass its /keys/query answer to CreateOutboundSessions first", userID, deviceID)
	}
	sessions, err := olmSessions(tx, info.Curve25519)
	if err != nil {
		return nil, err
	}
	if len(sessions) == 0 {
		return nil, errcode.New(NoOlmSession, "no Olm session with %s/%s: claim a one-time key and call CreateOutboundSessions", userID, deviceID)
	}
	payload, err := encode(map[string]any{
		"type":           eventType,
		"content":        content,
		"sender":         d.opts.UserID,
		"sender_device":  d.opts.DeviceID,
		"recipient":      userID,
		"recipient_keys": map[string]any{"ed25519": info.Ed25519},
		"keys":           map[string]any{"ed25519": d.identity.Ed25519},
	})
	if err != nil {
		return nil, err
	}
	os := sessions[0]
	msg, err := os.s.Encrypt(payload)
	if err != nil {
		return nil, err
	}
	os.lastUsed = d.now().UnixMilli()
	if err := putOlmSession(tx, os); err != nil {
		return nil, err
	}
	return encode(map[string]any{
		"algorithm":  olm.AlgorithmOlm,
		"sender_key": d.identity.Curve25519,
		"ciphertext": map[string]any{
			info.Curve25519: map[string]any{"type": int(msg.Type), "body": msg.Body},
		},
	})
}

// ToDeviceEvent is a decrypted to-device event.
type ToDeviceEvent struct {
	Type    string
	Content []byte // JSON object
	// Sender is the Matrix user that sent the event; the Olm payload agreed.
	Sender       string
	SenderDevice string // as the payload claims it; "" if absent
	// SenderKey is the Curve25519 key of the Olm session: the sender's
	// device proved it holds it.
	SenderKey string
	// SenderEd25519 is the payload's keys.ed25519 claim.
	SenderEd25519 string
	// Verified: SenderKey and SenderEd25519 are the keys of a device of
	// Sender seen (signed) in a /keys/query answer.
	Verified bool
}

// encryptedEventType is the type of every encrypted event, to-device or in
// a room.
const encryptedEventType = "m.room.encrypted"

// DecryptToDevice decrypts an m.room.encrypted to-device event (the whole
// event: type, sender, content). It uses an existing Olm session or, for a
// pre-key message, makes one with the one-time or fallback key it names (a
// one-time key is then removed, a fallback key marked used so KeysForUpload
// rotates it). A pre-key message that matches an existing session but whose
// message key was already used is a replay: REPLAYED_MESSAGE (fallback keys
// are not removed on use, so without this it would be accepted again). The
// payload's sender, recipient and recipient_keys must be ours and the
// event's, else BAD_MESSAGE.
func (d *Device) DecryptToDevice(event []byte) (*ToDeviceEvent, error) {
	return d.decryptToDevice(event, true, nil)
}

// decryptToDevice is DecryptToDevice and DecryptToDeviceWith: requireType
// refuses an event whose type is not m.room.encrypted; also, when not nil,
// runs in the transaction before the commit.
func (d *Device) decryptToDevice(event []byte, requireType bool, also func(tx *store.Tx, ev *ToDeviceEvent) error) (*ToDeviceEvent, error) {
	ev, err := jsonvalue.ParseAsObject(event, "to-device event")
	if err != nil {
		return nil, err
	}
	evType := ev.String("type")
	sender := ev.String("sender")
	content := ev.Object("content")
	alg := content.String("algorithm")
	senderKey := content.String("sender_key")
	ciphertexts := content.Object("ciphertext")
	if err := ev.Err(); err != nil {
		return nil, err
	}
	if requireType && evType != encryptedEventType {
		return nil, badInput("to-device event type %q is not %s", evType, encryptedEventType)
	}
	if alg != olm.AlgorithmOlm {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "to-device algorithm %q is not supported (only %s)", alg, olm.AlgorithmOlm)
	}
	if senderKey, err = b64.Canonical(senderKey, 32, "sender_key"); err != nil {
		return nil, err
	}
	mine, ok := ciphertexts.OptObject(d.identity.Curve25519)
	if !ok {
		return nil, badInput("the event has no ciphertext for this device's key %s", d.identity.Curve25519)
	}
	msg := olm.Message{Type: olm.MessageType(mine.Int("type")), Body: mine.String("body")}
	if err := mine.Err(); err != nil {
		return nil, err
	}
	var out *ToDeviceEvent
	err = d.st.Update(func(tx *store.Tx) error {
		pt, err := d.olmDecrypt(tx, senderKey, msg)
		if err != nil {
			return err
		}
		if out, err = d.checkPayload(tx, pt, sender, senderKey); err != nil {
			return err
		}
		if also != nil {
			return also(tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// olmDecrypt finds or makes the session and stages its new state.
func (d *Device) olmDecrypt(tx *store.Tx, senderKey string, msg olm.Message) ([]byte, error) {
	sessions, err := olmSessions(tx, senderKey)
	if err != nil {
		return nil, err
	}
	now := d.now().UnixMilli()
	if msg.Type == olm.MessageTypePreKey {
		for _, os := range sessions {
			if !os.s.MatchesInboundFrom(senderKey, msg) {
				continue
			}
			pt, err := os.s.Decrypt(msg)
			if errcode.Of(err) == errcode.UnknownMessageIndex {
				return nil, errcode.Wrap(errcode.ReplayedMessage, err, "this pre-key message from %s was already decrypted: refusing a replay", senderKey)
			}
			if err != nil {
				return nil, err
			}
			os.lastUsed = now
			return pt, putOlmSession(tx, os)
		}
		rec, err := d.account(tx)
		if err != nil {
			return nil, err
		}
		s, pt, err := rec.acct.NewInboundSession(senderKey, msg)
		if err != nil {
			return nil, err
		}
		if err := d.saveAccount(tx, rec); err != nil {
			return nil, err
		}
		return pt, putOlmSession(tx, &olmSession{peerKey: senderKey, created: now, lastUsed: now, s: s})
	}
	if msg.Type != olm.MessageTypeNormal {
		return nil, badInput("unknown Olm message type %d", msg.Type)
	}
	if len(sessions) == 0 {
		return nil, errcode.New(NoOlmSession, "no Olm session with %s can decrypt this message (it is not a pre-key message, so none can be made)", senderKey)
	}
	var firstErr error
	for _, os := range sessions {
		pt, err := os.s.Decrypt(msg)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		os.lastUsed = now
		return pt, putOlmSession(tx, os)
	}
	return nil, errcode.Context(firstErr, "none of the "+strconv.Itoa(len(sessions))+" Olm sessions with "+senderKey+" decrypts the message")
}

// checkPayload checks the decrypted Olm payload against the event and us.
func (d *Device) checkPayload(tx *store.Tx, pt []byte, sender, senderKey string) (*ToDeviceEvent, error) {
	v, err := jsonvalue.Parse(pt)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "the Olm payload is not JSON")
	}
	p, err := jsonvalue.AsObject(v, "Olm payload")
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "the Olm payload is not a JSON object")
	}
	typ := p.String("type")
	content := p.Object("content")
	pSender := p.String("sender")
	recipient := p.String("recipient")
	recipientEd := p.Object("recipient_keys").String("ed25519")
	senderEd := p.Object("keys").String("ed25519")
	senderDevice := p.OptString("sender_device")
	if err := p.Err(); err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "malformed Olm payload")
	}
	switch {
	case pSender != sender:
		return nil, errcode.New(errcode.BadMessage, "the Olm payload says it is from %s but the event is from %s", pSender, sender)
	case recipient != d.opts.UserID:
		return nil, errcode.New(errcode.BadMessage, "the Olm payload is for %s, not %s", recipient, d.opts.UserID)
	case recipientEd != d.identity.Ed25519:
		return nil, errcode.New(errcode.BadMessage, "the Olm payload is for Ed25519 key %s, not this device's %s", recipientEd, d.identity.Ed25519)
	}
	ev := &ToDeviceEvent{Type: typ, Sender: sender, SenderDevice: senderDevice, SenderKey: senderKey, SenderEd25519: senderEd}
	if ev.Content, err = encode(content.Map()); err != nil {
		return nil, err
	}
	info, found, err := getDevice(tx, store.DeviceByCurveKey(senderKey))
	if err != nil {
		return nil, err
	}
	if found {
		if info.UserID != sender || info.Ed25519 != senderEd {
			return nil, errcode.New(errcode.BadMessage, "Curve25519 key %s belongs to %s/%s with Ed25519 key %s, but the message claims %s with %s", senderKey, info.UserID, info.DeviceID, info.Ed25519, sender, senderEd)
		}
		ev.Verified = true
		if ev.SenderDevice == "" {
			ev.SenderDevice = info.DeviceID
		}
	}
	return ev, nil
}
