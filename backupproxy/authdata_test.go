package backupproxy

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
)

func signedDevice(t *testing.T, userID, deviceID string, key *ed25519x.PrivateKey) map[string]any {
	dev := map[string]any{
		"user_id": userID, "device_id": deviceID,
		"algorithms": []any{"m.olm.v1.curve25519-aes-sha2"},
		"keys":       map[string]any{"ed25519:" + deviceID: b64.Encode(key.Public())},
		"unsigned":   map[string]any{"device_display_name": "phone"},
	}
	if _, err := signing.Sign(dev, userID, "ed25519:"+deviceID, key); err != nil {
		t.Fatal(err)
	}
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
	devKey, otherKey := ed25519x.Generate(), ed25519x.Generate()
	answer := keysQueryAnswer(t, user, map[string]any{"DEV": signedDevice(t, user, "DEV", devKey)})
	auth := func() map[string]any {
		return map[string]any{"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	}

	good := auth()
	if _, err := signing.Sign(good, user, "ed25519:DEV", devKey); err != nil {
		t.Fatal(err)
	}
	if !SignedByOwnDevice(good, user, answer) {
		t.Fatal("a signature by the user's device is refused")
	}
	if SignedByOwnDevice(good, "@bob:hs", answer) {
		t.Fatal("accepted for another user")
	}
	wrongKey := auth()
	signing.Sign(wrongKey, user, "ed25519:DEV", otherKey)
	if SignedByOwnDevice(wrongKey, user, answer) {
		t.Fatal("a signature by another key is accepted")
	}
	unknownDev := auth()
	signing.Sign(unknownDev, user, "ed25519:NOPE", devKey)
	if SignedByOwnDevice(unknownDev, user, answer) {
		t.Fatal("a signature under an unknown device id is accepted")
	}
	// A device object that is not self-signed does not count.
	forged := signedDevice(t, user, "DEV", devKey)
	forged["keys"] = map[string]any{"ed25519:DEV": b64.Encode(otherKey.Public())}
	byOther := auth()
	signing.Sign(byOther, user, "ed25519:DEV", otherKey)
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
