package machine

import (
	"time"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Recovering from a wedged Olm session (client-server spec, "Recovering
// from undecryptable messages"): when a normal Olm message from a known
// device cannot be decrypted, the two sides' sessions have drifted apart
// (a restored backup, a lost state). We claim a new key for the device,
// make a new session (the device then prefers it, being the most recently
// used) and send it an m.dummy over it, so the sender starts using the new
// session too. At most once an hour per device.

const unwedgeInterval = time.Hour

// maybeUnwedge looks at a to-device event that failed to decrypt.
func (m *Machine) maybeUnwedge(raw []byte, cause error) error {
	switch errcode.Of(cause) {
	case errcode.BadMessage, errcode.BadMAC, device.NoOlmSession: // not UNKNOWN_MESSAGE_INDEX: a replay
	default:
		return nil
	}
	v, err := jsonvalue.Parse(raw)
	if err != nil {
		return nil
	}
	ev, _ := v.(map[string]any)
	content, _ := ev["content"].(map[string]any)
	senderKey, _ := content["sender_key"].(string)
	mine, _ := content["ciphertext"].(map[string]any)[m.d.IdentityKeys().Curve25519].(map[string]any)
	if n, _ := mine["type"].(jsonvalue.Number); n != "1" {
		return nil // a pre-key message that fails is not a wedged session
	}
	info, found, err := m.d.DeviceByCurve25519(trimPad(senderKey))
	if err != nil || !found {
		return err
	}
	if sender, _ := ev["sender"].(string); sender != info.UserID {
		return nil
	}
	ref := devRef{info.UserID, info.DeviceID}
	if last, ok := m.unwedged[ref]; ok && m.now().Sub(last) < unwedgeInterval {
		return nil
	}
	m.unwedged[ref] = m.now()
	m.unwedging[ref] = true
	return m.ensureClaim([]devRef{ref})
}

// sendDummies sends m.dummy over the sessions just made for wedged devices.
func (m *Machine) sendDummies(got map[devRef]bool) error {
	var refs []device.DeviceRef
	for ref := range m.unwedging {
		if got[ref] {
			refs = append(refs, device.DeviceRef{UserID: ref.User, DeviceID: ref.Device})
			delete(m.unwedging, ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	_, _, err := m.d.EncryptToDevicesWith(refs, "m.dummy", []byte("{}"), func(tx *store.Tx, out map[device.DeviceRef][]byte) error {
		msgs := map[devRef]any{}
		for r, c := range out {
			v, err := jsonvalue.Parse(c)
			if err != nil {
				return err
			}
			msgs[devRef{r.UserID, r.DeviceID}] = v
		}
		reqs, err := toDeviceRequests("m.room.encrypted", "", msgs)
		if err != nil {
			return err
		}
		return queue(tx, reqs...)
	})
	return err
}
