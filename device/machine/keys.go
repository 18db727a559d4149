package machine

import (
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// The first upload (device keys, one-time keys, a fallback key) needs no
// /sync counts; later ones follow them.
var uploadedKey = recordKey("uploaded")

// ensureUpload makes the keys_upload request when the server needs keys.
// The device stores the new keys before it returns the body, and sends the
// same unpublished keys again until they are marked uploaded, so a lost
// response never makes two keys under one id.
func (m *Machine) ensureUpload() error {
	if m.upload != nil {
		return nil
	}
	counts, unused := m.counts, m.unused
	if !m.countsKnown {
		var uploaded bool
		err := m.st.View(func(tx *store.Tx) (err error) {
			_, uploaded, err = tx.Get(uploadedKey)
			return err
		})
		if err != nil {
			return err
		}
		if uploaded {
			return nil // wait for /sync's counts
		}
		counts, unused = map[string]int{}, []string{}
	}
	body, err := m.d.KeysForUpload(counts, unused)
	if err != nil || body == nil {
		return err
	}
	m.upload = &Request{ID: newID(), Type: KeysUpload, Method: "POST", Path: clientPrefix + "/keys/upload", Body: body}
	return nil
}

func (m *Machine) uploadSent(id string, resp Response) error {
	if m.upload == nil || m.upload.ID != id {
		return nil
	}
	req := m.upload
	m.upload = nil
	if !resp.ok() {
		return nil // the same keys go out again in the next request
	}
	if err := m.d.MarkKeysUploaded(resp.Body); err != nil {
		return err
	}
	// The response's counts are newer than the last /sync's.
	if v, err := jsonvalue.Parse(resp.Body); err == nil {
		if o, err := jsonvalue.AsObject(v, "keys upload response"); err == nil {
			if c, ok := o.OptObject("one_time_key_counts"); ok {
				counts := map[string]int{}
				for _, k := range c.Keys() {
					counts[k] = c.OptInt(k, 0)
				}
				m.counts, m.countsKnown = counts, true
			}
		}
	}
	if b, err := jsonvalue.ParseObject(req.Body); err == nil {
		if fk, ok := b["fallback_keys"].(map[string]any); ok && len(fk) > 0 {
			m.unused = []string{"signed_curve25519"}
		}
	}
	return m.st.Update(func(tx *store.Tx) error { return tx.Put(uploadedKey, []byte{1}) })
}
