package passphrase_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// DeriveKeyPaced gives DeriveKey's bytes for every output size (one and
// several PBKDF2 blocks) and pauses during long derivations.
func TestDeriveKeyPacedMatchesDeriveKey(t *testing.T) {
	for _, c := range []struct {
		pass, salt  string
		iters, bits int
	}{
		{"Hello world", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 1000, 256},
		{"pw", "salt", 1, 8},
		{"", "", 3, 512},
		{"pässwörd", "ÿ salt", 700, 520},
		{"long", "s", 2049, 4096},
	} {
		want, err := passphrase.DeriveKey(c.pass, c.salt, c.iters, c.bits)
		if err != nil {
			t.Fatal(err)
		}
		got, err := passphrase.DeriveKeyPaced(c.pass, c.salt, c.iters, c.bits, func() {})
		if err != nil || !bytes.Equal(got, want) || len(got) != cap(got) {
			t.Fatalf("%+v: %x, want %x (%v)", c, got, want, err)
		}
	}
	pauses := 0
	start := time.Now()
	if _, err := passphrase.DeriveKeyPaced("pw", "salt", 400_000, 512, func() { pauses++ }); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*passphrase.PauseEvery && pauses == 0 {
		t.Fatalf("%v of work without a pause", took)
	}
	_, err := passphrase.DeriveKeyPaced("pw", "salt", 0, 512, nil)
	if errcode.Of(err) != errcode.BadInput {
		t.Fatalf("0 rounds: %v", err)
	}
}
