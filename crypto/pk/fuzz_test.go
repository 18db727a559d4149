package pk_test

import (
	"encoding/hex"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// checkErr fails unless err carries a code other than INTERNAL.
func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && errcode.Of(err) == errcode.Internal {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

// FuzzDecrypt feeds arbitrary keys and message fields to Decrypt and to
// DecryptShared (the key bytes doubling as a shared secret): no panics, every
// error has a code, and the plaintext is shorter than the ciphertext.
func FuzzDecrypt(f *testing.F) {
	alice, _ := hex.DecodeString(alicePrivHex)
	bob, _ := hex.DecodeString(bobPrivHex)
	shared, _ := hex.DecodeString(sharedHex)
	m := vector51
	f.Add(alice, m.Ciphertext, m.Ephemeral, m.MAC)
	f.Add(bob, m.Ciphertext, m.Ephemeral, m.MAC)
	f.Add(shared, m.Ciphertext, m.Ephemeral, m.MAC)
	f.Add(alice, m.Ciphertext+"==", m.Ephemeral+"=", m.MAC+"=")
	f.Add(alice, "ntk49j/KozVFtSqJXhCeig", m.Ephemeral, m.MAC)
	f.Add(alice, "", m.Ephemeral, m.MAC)
	f.Add(alice, m.Ciphertext, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", m.MAC)
	f.Add(alice, m.Ciphertext, m.Ephemeral, "")
	f.Add([]byte{}, "", "", "")
	f.Fuzz(func(t *testing.T, key []byte, ciphertext, ephemeral, mac string) {
		msg := pk.Message{Ciphertext: ciphertext, Ephemeral: ephemeral, MAC: mac}
		pt, err := pk.Decrypt(key, msg)
		checkErr(t, "Decrypt", err)
		if err == nil && len(pt) >= len(ciphertext) {
			t.Fatalf("plaintext of %d bytes from %d base64 characters", len(pt), len(ciphertext))
		}
		pt, err = pk.DecryptShared(key, msg)
		checkErr(t, "DecryptShared", err)
		if err == nil && len(pt) >= len(ciphertext) {
			t.Fatalf("plaintext of %d bytes from %d base64 characters", len(pt), len(ciphertext))
		}
	})
}
