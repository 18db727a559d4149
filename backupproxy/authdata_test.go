package backupproxy

import (
	"crypto/ed25519"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

func signedDevice(t *testing.T, userID, deviceID string, key ed25519.PrivateKey) map[string]any {
	dev := map[string]any{
		"user_id": userID, "device_id": deviceID,
		"algorithms": []any{"m.olm.v1.curve25519-aes-sha2"},
		"keys":       map[string]any{"ed25519:" + deviceID: b64.Encode(key.Public().(ed25519.PublicKey))},
		"unsigned":   map[string]any{"device_display_name": "phone"},
	}
	sign(t, dev, userID, "ed25519:"+deviceID, key)
	return dev
}

func keysQueryAnswer(t *testing.T, userID string, devices map[string]any) []byte {
	b, err := canonicaljson.Encode(map[string]any{"device_keys": map[string]any{userID: devices}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignedByOwnDevice(t *testing.T) {
	const user = "@alice:hs"
	devKey, otherKey := newKey(t), newKey(t)
	answer := keysQueryAnswer(t, user, map[string]any{"DEV": signedDevice(t, user, "DEV", devKey)})
	auth := func() map[string]any {
		return map[string]any{"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	}

	good := auth()
	sign(t, good, user, "ed25519:DEV", devKey)
	if !SignedByOwnDevice(good, user, answer) {
		t.Fatal("a signature by the user's device is refused")
	}
	if SignedByOwnDevice(good, "@bob:hs", answer) {
		t.Fatal("accepted for another user")
	}
	wrongKey := auth()
	sign(t, wrongKey, user, "ed25519:DEV", otherKey)
	if SignedByOwnDevice(wrongKey, user, answer) {
		t.Fatal("a signature by another key is accepted")
	}
	unknownDev := auth()
	sign(t, unknownDev, user, "ed25519:NOPE", devKey)
	if SignedByOwnDevice(unknownDev, user, answer) {
		t.Fatal("a signature under an unknown device id is accepted")
	}
	// A device object that is not self-signed does not count.
	forged := signedDevice(t, user, "DEV", devKey)
	forged["keys"] = map[string]any{"ed25519:DEV": b64.Encode(otherKey.Public().(ed25519.PublicKey))}
	byOther := auth()
	sign(t, byOther, user, "ed25519:DEV", otherKey)
	if SignedByOwnDevice(byOther, user, keysQueryAnswer(t, user, map[string]any{"DEV": forged})) {
		t.Fatal("a device key without its self-signature is trusted")
	}
	good["public_key"] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	if SignedByOwnDevice(good, user, answer) {
		t.Fatal("altered auth_data accepted")
	}
	if SignedByOwnDevice(auth(), user, []byte("not json")) {
		t.Fatal("accepted without signatures")
	}
}

// newKey makes an Ed25519 key with Go's standard library, independent of
// the module's own Ed25519 (which this package may not import).
func newKey(t *testing.T) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// sign adds priv's signature over obj's signing bytes at
// signatures[entity][keyID], as Matrix signed JSON places it.
func sign(t *testing.T, obj map[string]any, entity, keyID string, priv ed25519.PrivateKey) {
	msg, err := signing.SigningBytes(obj)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _ := obj["signatures"].(map[string]any)
	if sigs == nil {
		sigs = map[string]any{}
		obj["signatures"] = sigs
	}
	byEntity, _ := sigs[entity].(map[string]any)
	if byEntity == nil {
		byEntity = map[string]any{}
		sigs[entity] = byEntity
	}
	byEntity[keyID] = b64.Encode(ed25519.Sign(priv, msg))
}
