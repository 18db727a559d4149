package olm

import (
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

const (
	// AlgorithmOlm is the Olm encryption algorithm name.
	AlgorithmOlm = "m.olm.v1.curve25519-aes-sha2"
	// AlgorithmMegolm is the Megolm algorithm name; devices advertise both.
	AlgorithmMegolm = "m.megolm.v1.aes-sha2"
)

// KeysForUpload builds the body of POST /_matrix/client/v3/keys/upload
// (docs/keys.md §3):
//
//   - device_keys: user and device id, algorithms, the two identity keys,
//     signed by the device's Ed25519 key;
//   - one_time_keys: each unpublished one-time key as a signed object under
//     "signed_curve25519:<key id>";
//   - fallback_keys: the unpublished fallback key, if any, as a signed object
//     that includes "fallback": true inside the signed part.
//
// one_time_keys and fallback_keys are left out when there is nothing new.
// The values are map[string]any/[]any/string/bool, ready for encoding/json
// or crypto/signing.Verify. After a successful upload call
// MarkKeysAsPublished.
func (a *Account) KeysForUpload(userID, deviceID string) (map[string]any, error) {
	if userID == "" || deviceID == "" {
		return nil, errcode.New(errcode.BadInput, "user id and device id are required to build the key upload")
	}
	body := map[string]any{}

	device := map[string]any{
		"user_id":    userID,
		"device_id":  deviceID,
		"algorithms": []any{AlgorithmOlm, AlgorithmMegolm},
		"keys": map[string]any{
			"curve25519:" + deviceID: a.Curve25519Key(),
			"ed25519:" + deviceID:    a.Ed25519Key(),
		},
	}
	if err := a.signObject(device, userID, deviceID); err != nil {
		return nil, err
	}
	body["device_keys"] = device

	otks := map[string]any{}
	for id, key := range a.oneTimeKeys.unpublished() {
		obj := map[string]any{"key": key}
		if err := a.signObject(obj, userID, deviceID); err != nil {
			return nil, err
		}
		otks[keyAlgorithmSignedCurve25519+":"+id] = obj
	}
	if len(otks) > 0 {
		body["one_time_keys"] = otks
	}

	if k := a.fallbackKeys.unpublished(); k != nil {
		obj := map[string]any{"key": k.key.publicB64(), "fallback": true}
		if err := a.signObject(obj, userID, deviceID); err != nil {
			return nil, err
		}
		body["fallback_keys"] = map[string]any{keyAlgorithmSignedCurve25519 + ":" + keyIDString(k.id): obj}
	}
	return body, nil
}

// signObject adds the device's signature to a JSON object (Matrix signed
// JSON: over the canonical JSON without "signatures" and "unsigned"), at
// signatures[userID]["ed25519:"+deviceID], keeping other signatures.
// crypto/signing.Sign needs a seed key; an account imported from libolm only
// has the expanded form, so the signature is made with ed25519x here.
func (a *Account) signObject(obj map[string]any, userID, deviceID string) error {
	msg, err := signing.SigningBytes(obj)
	if err != nil {
		return errcode.Context(err, "signing JSON")
	}
	sigs, _ := obj["signatures"].(map[string]any)
	if sigs == nil {
		sigs = map[string]any{}
		obj["signatures"] = sigs
	}
	byUser, _ := sigs[userID].(map[string]any)
	if byUser == nil {
		byUser = map[string]any{}
		sigs[userID] = byUser
	}
	byUser["ed25519:"+deviceID] = b64.Encode(a.signingKey.Sign(msg))
	return nil
}
