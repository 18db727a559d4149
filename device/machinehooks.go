package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// What the orchestration layer above (package device/machine) needs from a
// device beyond its Matrix-shaped calls: the store to keep its own records
// beside the device's, known devices by key, and explicit control of the
// outbound room session, so the key a room message uses is always one the
// machine has already given out.

// RoomKeyNotShared: EncryptRoomEventIn was asked for a session that is no
// longer (or not yet) the room's current, or that is due for rotation.
const RoomKeyNotShared = errcode.RoomKeyNotShared

// Store is the device's key store. The device's own records have their own
// kinds (store.KindDevice, KindDeviceByCurve, KindReplay, KindSecretRequest
// and the crypto kinds); a layer above keeps its records under
// store.ValueKey names, all of which are its own.
func (d *Device) Store() *store.Store { return d.st }

// EncodeJSON writes a value made of maps, slices, strings, integers,
// booleans, nil and jsonvalue numbers as JSON with sorted keys (the
// device's own encoder, so bodies look the same whoever builds them).
func EncodeJSON(v any) ([]byte, error) { return encode(v) }

// DeviceByCurve25519 returns the device, remembered from a checked
// /keys/query answer, whose Curve25519 key is key (unpadded base64).
func (d *Device) DeviceByCurve25519(key string) (DeviceInfo, bool, error) {
	var info DeviceInfo
	var found bool
	err := d.st.View(func(tx *store.Tx) (err error) {
		info, found, err = getDevice(tx, store.DeviceByCurveKey(key))
		return err
	})
	return info, found, err
}

// HasOlmSession reports whether the device is known and there is an Olm
// session with it to encrypt to-device messages.
func (d *Device) HasOlmSession(userID, deviceID string) (bool, error) {
	var has bool
	err := d.st.View(func(tx *store.Tx) error {
		info, found, err := getDevice(tx, store.DeviceKey(userID, deviceID))
		if err != nil || !found {
			return err
		}
		entries, err := tx.List(store.KindOlmSession, info.Curve25519)
		has = len(entries) > 0
		return err
	})
	return has, err
}

// RoomSession describes a room's outbound Megolm session.
type RoomSession struct {
	SessionID    string
	MessageIndex uint32
	// NeedsRotation: the policy given says the session is used up.
	NeedsRotation bool
	// RoomKey is the m.room_key content at the current index.
	RoomKey []byte
}

func describeOutbound(s *megolm.OutboundGroupSession, roomID string, policy megolm.RotationPolicy, d *Device) (*RoomSession, error) {
	rk, err := s.RoomKeyContent(roomID, false)
	if err != nil {
		return nil, err
	}
	return &RoomSession{SessionID: s.SessionID(), MessageIndex: s.MessageIndex(), NeedsRotation: s.NeedsRotation(policy, d.now()), RoomKey: rk}, nil
}

// CurrentRoomSession returns the room's outbound session, or nil when it has
// none.
func (d *Device) CurrentRoomSession(roomID string, policy megolm.RotationPolicy) (*RoomSession, error) {
	var out *RoomSession
	err := d.st.View(func(tx *store.Tx) error {
		s, err := loadOutbound(tx, roomID)
		if err != nil || s == nil {
			return err
		}
		out, err = describeOutbound(s, roomID, policy, d)
		return err
	})
	return out, err
}

// StartRoomSession replaces the room's outbound session with a new one (its
// inbound half is kept, to read our own messages and back the key up).
func (d *Device) StartRoomSession(roomID string) (*RoomSession, error) {
	if err := checkRoomID(roomID); err != nil {
		return nil, err
	}
	var out *RoomSession
	err := d.st.Update(func(tx *store.Tx) error {
		s := megolm.NewOutboundGroupSession()
		s.SetCreatedAt(d.now())
		own := &inbound{roomID: roomID, s: s.InboundSession(), senderKey: d.identity.Curve25519, senderEd25519: d.identity.Ed25519}
		if _, err := keep(tx, own, false); err != nil {
			return err
		}
		if err := tx.Put(store.OutboundKey(roomID), s.MarshalState()); err != nil {
			return err
		}
		var err error
		out, err = describeOutbound(s, roomID, megolm.RotationPolicy{}, d)
		return err
	})
	return out, err
}

// EncryptRoomEventIn encrypts a room event with the room's outbound session
// if that is sessionID and the policy does not call for rotation; it never
// starts a session (RoomKeyNotShared instead), so every message uses a key
// its recipients were given.
func (d *Device) EncryptRoomEventIn(roomID, sessionID, eventType string, content []byte, policy megolm.RotationPolicy) ([]byte, error) {
	if err := checkRoomID(roomID); err != nil {
		return nil, err
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
	var out []byte
	err = d.st.Update(func(tx *store.Tx) error {
		s, err := loadOutbound(tx, roomID)
		if err != nil {
			return err
		}
		if s == nil || s.SessionID() != sessionID || s.NeedsRotation(policy, d.now()) {
			return errcode.New(RoomKeyNotShared, "the room key of %s was not shared yet (or must be rotated): share it first", roomID)
		}
		ciphertext, err := s.Encrypt(plaintext)
		if err != nil {
			return err
		}
		if err := tx.Put(store.OutboundKey(roomID), s.MarshalState()); err != nil {
			return err
		}
		out, err = encode(map[string]any{
			"algorithm":  megolm.Algorithm,
			"sender_key": d.identity.Curve25519,
			"device_id":  d.opts.DeviceID,
			"session_id": s.SessionID(),
			"ciphertext": ciphertext,
		})
		return err
	})
	return out, err
}

// SetLocalSecret keeps a secret on this device (as GetSecret and
// ReceiveSecret do), e.g. a backup key the user typed. An m.megolm_backup.v1
// must be a 32-byte key in base64.
func (d *Device) SetLocalSecret(name, secret string) error {
	if name == "" {
		return badInput("secret name is required")
	}
	if err := checkSecret(name, secret); err != nil {
		return err
	}
	return d.st.Update(func(tx *store.Tx) error { return tx.Put(store.SecretKey(name), []byte(secret)) })
}

// LocalBackupKey is the backup private key this device holds, if any.
func (d *Device) LocalBackupKey() ([]byte, bool, error) {
	var key []byte
	var found bool
	err := d.st.View(func(tx *store.Tx) (err error) {
		key, found, err = localBackupKey(tx)
		return err
	})
	return key, found, err
}

// EnabledBackup is the backup version room keys go to ("" when none).
func (d *Device) EnabledBackup() (version, publicKey string, err error) {
	err = d.st.View(func(tx *store.Tx) error {
		b, err := loadBackup(tx)
		if errcode.Of(err) == BackupNotEnabled {
			return nil
		}
		version, publicKey = b.version, b.publicKey
		return err
	})
	return version, publicKey, err
}

// DecryptToDeviceWith is DecryptToDevice with also run in the same
// transaction, after the decryption and before the commit: the layer above
// keeps the decrypted event there, so a crash between the Olm ratchet step
// being committed and the event being handled cannot lose the event (the
// server will not deliver one that decrypts again). The event is read as
// DecryptToDevice reads it.
func (d *Device) DecryptToDeviceWith(event []byte, also func(tx *store.Tx, ev *ToDeviceEvent) error) (*ToDeviceEvent, error) {
	return d.decryptToDevice(event, false, also)
}

// DeviceRef names a device.
type DeviceRef struct{ UserID, DeviceID string }

// EncryptToDevicesWith encrypts one to-device event for several devices in
// one transaction, then runs also (which may stage the layer above's own
// records, e.g. the requests carrying the messages) before the commit:
// ratchet steps and what depends on them commit together. Devices without
// an Olm session (or unknown) are returned in skipped, not as an error.
func (d *Device) EncryptToDevicesWith(devices []DeviceRef, eventType string, content []byte, also func(tx *store.Tx, out map[DeviceRef][]byte) error) (out map[DeviceRef][]byte, skipped []DeviceRef, err error) {
	if eventType == "" {
		return nil, nil, badInput("event type is required")
	}
	c, err := jsonvalue.ParseAsObject(content, "content")
	if err != nil {
		return nil, nil, err
	}
	err = d.st.Update(func(tx *store.Tx) error {
		out, skipped = map[DeviceRef][]byte{}, nil
		for _, ref := range devices {
			msg, err := d.encryptToDevice(tx, ref.UserID, ref.DeviceID, eventType, c.Map())
			if errcode.Of(err) == NoOlmSession {
				skipped = append(skipped, ref)
				continue
			}
			if err != nil {
				return err
			}
			out[ref] = msg
		}
		if also != nil {
			return also(tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, skipped, nil
}

// SignJSON adds this device's signature to obj (Matrix signed JSON, at
// signatures[user]["ed25519:"+device]): the device vouching for a master
// key or a backup's auth_data.
func (d *Device) SignJSON(obj map[string]any) error {
	msg, err := signing.SigningBytes(obj)
	if err != nil {
		return err
	}
	return d.st.View(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		sigs, _ := obj["signatures"].(map[string]any)
		if sigs == nil {
			sigs = map[string]any{}
			obj["signatures"] = sigs
		}
		mine, _ := sigs[d.opts.UserID].(map[string]any)
		if mine == nil {
			mine = map[string]any{}
			sigs[d.opts.UserID] = mine
		}
		mine["ed25519:"+d.opts.DeviceID] = rec.acct.Sign(msg)
		return nil
	})
}

// DeviceKeys is this device's signed device keys object, as uploaded.
func (d *Device) DeviceKeys() (map[string]any, error) {
	var out map[string]any
	err := d.st.View(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		body, err := rec.acct.KeysForUpload(d.opts.UserID, d.opts.DeviceID)
		if err != nil {
			return err
		}
		out, _ = body["device_keys"].(map[string]any)
		return nil
	})
	return out, err
}
