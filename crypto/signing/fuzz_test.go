package signing_test

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// FuzzVerify: arbitrary objects, names and public keys. Verify never panics
// and its errors carry a code; an object Sign accepts then verifies under the
// signing key, and not under another key.
func FuzzVerify(f *testing.F) {
	for _, v := range vectors23 {
		f.Add([]byte(v.json), alice, v.keyID, v.pub)
	}
	for _, v := range specSignatures {
		f.Add([]byte(v.in), "domain", "ed25519:1", "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI")
	}
	f.Add([]byte(`{"a":1.5,"signatures":{"u":{"k":"AAAA"}}}`), "u", "k", devicePub)
	f.Add([]byte(`{"signatures":"x","unsigned":[]}`), "", "", "")
	f.Add([]byte(`{"signatures":{"@alice:localhost":{"ed25519:test_device":7}}}`), alice, "ed25519:test_device", devicePub)
	device := asciiKey(deviceSeed)
	master := asciiKey(masterSeed)
	f.Fuzz(func(t *testing.T, data []byte, userID, keyID, pub string) {
		obj, err := signing.ParseObject(data)
		if err != nil {
			if errcode.Of(err) != errcode.BadInput {
				t.Fatalf("ParseObject: %v", err)
			}
			return
		}
		_, err = signing.Verify(obj, userID, keyID, pub)
		if err != nil && errcode.Of(err) == errcode.Internal {
			t.Fatalf("Verify: error without a code: %v", err)
		}
		if _, err := signing.Sign(obj, userID, keyID, xkey(device)); err != nil {
			if errcode.Of(err) != errcode.BadInput {
				t.Fatalf("Sign: %v", err)
			}
			return
		}
		if ok, err := signing.Verify(obj, userID, keyID, devicePub); !ok || err != nil {
			t.Fatalf("own signature does not verify: %v, %v", ok, err)
		}
		if ok, err := signing.Verify(obj, userID, keyID, pubB64(master)); ok || err != nil {
			t.Fatalf("signature verifies under another key: %v, %v", ok, err)
		}
	})
}
