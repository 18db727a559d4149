package device

import (
	"bytes"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/store"
)

// oneTimeKeyTarget is how many one-time keys to keep on the server: half of
// what the account can hold, so keys claimed but not yet used are not
// evicted by newer ones (docs/keys.md §6).
const oneTimeKeyTarget = olm.MaxOneTimeKeys / 2

const signedCurve25519 = "signed_curve25519"

// KeysForUpload returns the body of POST /keys/upload when the server needs
// something, or nil. oneTimeKeyCounts and unusedFallbackKeyTypes are /sync's
// device_one_time_keys_count and device_unused_fallback_key_types; pass nil
// for the latter when /sync did not send it, which means the server does not
// support fallback keys, and none are made or uploaded.
//
// One-time keys are topped up to half the maximum, unless keys from an
// earlier body are still waiting for MarkKeysUploaded (they are sent again
// instead: the earlier upload may have reached the server). The fallback key
// is rotated per package olm's rules. New keys are stored before the body is
// returned, so a crash cannot lose private keys whose public halves were
// uploaded.
func (d *Device) KeysForUpload(oneTimeKeyCounts map[string]int, unusedFallbackKeyTypes []string) ([]byte, error) {
	var out []byte
	err := d.st.Update(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		before := rec.acct.MarshalState()
		// Without device_unused_fallback_key_types the server does not
		// support fallback keys (docs/keys.md §6): none are made or sent.
		fallbackSupported := unusedFallbackKeyTypes != nil
		if fallbackSupported {
			if _, err := rec.acct.RotateFallbackKeyIfNeeded(unusedFallbackKeyTypes); err != nil {
				return err
			}
		}
		if len(rec.acct.UnpublishedOneTimeKeys()) == 0 {
			count := oneTimeKeyCounts[signedCurve25519]
			if count < 0 {
				return badInput("one-time key count %d is negative", count)
			}
			if count < oneTimeKeyTarget {
				if err := rec.acct.GenerateOneTimeKeys(oneTimeKeyTarget - count); err != nil {
					return err
				}
			}
		}
		body, err := rec.acct.KeysForUpload(d.opts.UserID, d.opts.DeviceID)
		if err != nil {
			return err
		}
		if rec.deviceKeysUploaded {
			delete(body, "device_keys")
		}
		if !fallbackSupported {
			delete(body, "fallback_keys")
		}
		if !bytes.Equal(before, rec.acct.MarshalState()) {
			if err := d.saveAccount(tx, rec); err != nil {
				return err
			}
		}
		if len(body) == 0 {
			return nil
		}
		out, err = encode(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkKeysUploaded records that the last KeysForUpload body was accepted;
// response is the /keys/upload response body (checked for shape only).
// Call it only after the upload succeeded.
func (d *Device) MarkKeysUploaded(response []byte) error {
	if response != nil {
		o, err := jsonvalue.ParseAsObject(response, "keys upload response")
		if err != nil {
			return err
		}
		if _, ok := o.OptObject("one_time_key_counts"); ok && o.Err() != nil {
			return o.Err()
		}
	}
	return d.st.Update(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		rec.acct.MarkKeysAsPublished()
		rec.deviceKeysUploaded = true
		return d.saveAccount(tx, rec)
	})
}

// FallbackKeys lists the fallback keys held (public parts and history).
func (d *Device) FallbackKeys() ([]olm.FallbackKeyInfo, error) {
	var out []olm.FallbackKeyInfo
	err := d.st.View(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err == nil {
			out = rec.acct.FallbackKeyStatus()
		}
		return err
	})
	return out, err
}

// OneTimeKeyCount is how many one-time private keys the account holds.
func (d *Device) OneTimeKeyCount() (int, error) {
	var n int
	err := d.st.View(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err == nil {
			n = rec.acct.OneTimeKeyCount()
		}
		return err
	})
	return n, err
}
