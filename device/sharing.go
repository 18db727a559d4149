package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Secret sharing (docs/ssss.md §7): m.secret.request goes unencrypted to the
// user's own devices; the answer, m.secret.send, comes back Olm-encrypted.

func secretRequestKey(requestID string) store.Key {
	return store.SecretRequestKey(requestID)
}

// SecretRequest is an outstanding request made by RequestSecret.
type SecretRequest struct {
	RequestID string
	// Content is the m.secret.request content to send to the user's own
	// devices.
	Content []byte
}

// RequestSecret asks the user's other devices for a secret. The request is
// remembered so that ReceiveSecret accepts only answers to it.
func (d *Device) RequestSecret(name string) (*SecretRequest, error) {
	if name == "" {
		return nil, badInput("secret name is required")
	}
	id := passphrase.RandomString(32)
	content, err := encode(map[string]any{
		"name": name, "action": "request",
		"requesting_device_id": d.opts.DeviceID, "request_id": id,
	})
	if err != nil {
		return nil, err
	}
	err = d.st.Update(func(tx *store.Tx) error { return tx.Put(secretRequestKey(id), []byte(name)) })
	if err != nil {
		return nil, err
	}
	return &SecretRequest{RequestID: id, Content: content}, nil
}

// CancelSecretRequest forgets a request and returns the
// request_cancellation content to send to the devices it went to.
func (d *Device) CancelSecretRequest(requestID string) ([]byte, error) {
	if requestID == "" {
		return nil, badInput("request id is required")
	}
	if err := d.st.Update(func(tx *store.Tx) error { return tx.Delete(secretRequestKey(requestID)) }); err != nil {
		return nil, err
	}
	return encode(map[string]any{"action": "request_cancellation", "requesting_device_id": d.opts.DeviceID, "request_id": requestID})
}

// AnswerSecretRequest answers an m.secret.request to-device event (the whole
// event, with sender). It returns the Olm-encrypted m.room.encrypted content
// carrying m.secret.send, to send to the requesting device, or nil when the
// request must not be answered: it is not from the user's own account, it
// comes from this device, it is a cancellation, the requesting device is not
// verified (the caller knows: deviceIsVerified), or the secret is not held
// here. Without an Olm session with the device it is NO_OLM_SESSION: claim
// a key, CreateOutboundSessions, and answer again.
func (d *Device) AnswerSecretRequest(event []byte, deviceIsVerified bool) ([]byte, error) {
	ev, err := jsonvalue.ParseAsObject(event, "secret request event")
	if err != nil {
		return nil, err
	}
	sender := ev.String("sender")
	c := ev.Object("content")
	action := c.String("action")
	device := c.String("requesting_device_id")
	requestID := c.String("request_id")
	name := c.OptString("name")
	if err := ev.Err(); err != nil {
		return nil, err
	}
	if sender != d.opts.UserID || device == d.opts.DeviceID || action != "request" || !deviceIsVerified || name == "" {
		return nil, nil
	}
	var out []byte
	err = d.st.Update(func(tx *store.Tx) error {
		secret, found, err := tx.Get(store.SecretKey(name))
		if err != nil || !found {
			return err
		}
		out, err = d.encryptToDevice(tx, sender, device, "m.secret.send", map[string]any{"request_id": requestID, "secret": string(secret)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReceivedSecret is a secret another device sent.
type ReceivedSecret struct {
	Name, Secret string
}

// ReceiveSecret accepts a decrypted m.secret.send (from DecryptToDevice) if
// it answers an outstanding request, comes from the user's own device as
// named by a checked /keys/query answer, and that device is verified (the
// caller knows: senderIsVerified). The secret is kept locally and the
// request forgotten; send CancelSecretRequest's content to the other
// devices. Anything else is refused with BAD_INPUT; an m.megolm_backup.v1
// that is not a 32-byte key is BAD_INPUT, one that does not match the
// enabled backup WRONG_KEY.
func (d *Device) ReceiveSecret(ev *ToDeviceEvent, senderIsVerified bool) (*ReceivedSecret, error) {
	if ev == nil || ev.Type != "m.secret.send" {
		return nil, badInput("not an m.secret.send event")
	}
	switch {
	case ev.Sender != d.opts.UserID:
		return nil, badInput("secrets are accepted only from the user's own devices, not from %s", ev.Sender)
	case !senderIsVerified:
		return nil, badInput("the sending device %s is not verified", ev.SenderDevice)
	}
	c, err := jsonvalue.ParseAsObject(ev.Content, "m.secret.send content")
	if err != nil {
		return nil, err
	}
	requestID, secret := c.String("request_id"), c.String("secret")
	if err := c.Err(); err != nil {
		return nil, err
	}
	var out *ReceivedSecret
	err = d.st.Update(func(tx *store.Tx) error {
		// The event may have passed through the caller: look the sender's
		// keys up again rather than trust ev.Verified.
		info, known, err := getDevice(tx, store.DeviceByCurveKey(ev.SenderKey))
		if err != nil {
			return err
		}
		if !known || info.UserID != d.opts.UserID || info.Ed25519 != ev.SenderEd25519 {
			return badInput("the sending device (key %s) is not one of this user's devices from a /keys/query answer", ev.SenderKey)
		}
		name, found, err := tx.Get(secretRequestKey(requestID))
		if err != nil {
			return err
		}
		if !found {
			return errcode.New(errcode.BadInput, "no outstanding secret request %q: ignoring an unsolicited secret", requestID)
		}
		if err := checkSecret(string(name), secret); err != nil {
			return err
		}
		if string(name) == BackupSecretName && tx.BackupVersion() != "" {
			// Check a backup key against the enabled backup before use.
			b, err := loadBackup(tx)
			if err != nil {
				return err
			}
			priv, _ := decodeBackupSecret(secret)
			pub, err := backup.PublicKey(priv)
			clear(priv)
			if err != nil || pub != b.publicKey {
				return errcode.New(errcode.WrongKey, "the backup key sent by %s does not match backup version %s", ev.SenderDevice, b.version)
			}
		}
		if err := tx.Delete(secretRequestKey(requestID)); err != nil {
			return err
		}
		out = &ReceivedSecret{Name: string(name), Secret: secret}
		return tx.Put(store.SecretKey(string(name)), []byte(secret))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
