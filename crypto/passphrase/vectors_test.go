package passphrase_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// docs/vectors.md §1.5 (mautrix/go TestPBKDF). The salt is raw bytes there; Matrix
// salts are strings, and DeriveKey uses the string's bytes as they are.
func TestVectorPBKDF2(t *testing.T) {
	v := vectors.PBKDF2(t)
	key, err := passphrase.DeriveKey(v.Passphrase, string(v.Salt), v.Iterations, v.Bits)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(key); got != v.KeyB64 {
		t.Fatalf("got %s", got)
	}
}

// The salt is used as its UTF-8 bytes, never base64-decoded: a salt that
// happens to be valid base64 must give a different key from its decoding.
func TestSaltIsNotDecoded(t *testing.T) {
	a, err := passphrase.DeriveKey("pw", "Zm9v", 2, 256)
	if err != nil {
		t.Fatal(err)
	}
	b, err := passphrase.DeriveKey("pw", "foo", 2, 256)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) == string(b) {
		t.Fatal("salt was base64-decoded")
	}
}

func TestDeriveKeyLengths(t *testing.T) {
	for _, bits := range []int{8, 128, 256, 512, 4096} {
		key, err := passphrase.DeriveKey("pw", "salt", 1, bits)
		if err != nil || len(key) != bits/8 {
			t.Fatalf("bits %d: %d bytes, %v", bits, len(key), err)
		}
	}
	// A shorter output is a prefix of a longer one (PBKDF2 block structure).
	k256, _ := passphrase.DeriveKey("pw", "salt", 3, 256)
	k512, _ := passphrase.DeriveKey("pw", "salt", 3, 512)
	if string(k512[:32]) != string(k256) {
		t.Fatal("256-bit key is not a prefix of the 512-bit key")
	}
}

func TestCheckParams(t *testing.T) {
	for _, v := range []struct{ iterations, bits int }{
		{0, 256}, {-1, 256}, {passphrase.MaxIterations + 1, 256},
		{1, 0}, {1, 7}, {1, 255}, {1, -8}, {1, 4104},
	} {
		if err := passphrase.CheckParams(v.iterations, v.bits); errcode.Of(err) != errcode.BadInput {
			t.Errorf("CheckParams(%d, %d) = %v", v.iterations, v.bits, err)
		}
		if _, err := passphrase.DeriveKey("pw", "salt", v.iterations, v.bits); errcode.Of(err) != errcode.BadInput {
			t.Errorf("DeriveKey(%d, %d) = %v", v.iterations, v.bits, err)
		}
	}
	for _, v := range []struct{ iterations, bits int }{
		{1, 8}, {passphrase.DefaultIterations, passphrase.DefaultBits}, {passphrase.MaxIterations, 4096},
	} {
		if err := passphrase.CheckParams(v.iterations, v.bits); err != nil {
			t.Errorf("CheckParams(%d, %d) = %v", v.iterations, v.bits, err)
		}
	}
}

func TestRandomString(t *testing.T) {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	seen := map[rune]bool{}
	for range 50 {
		s := passphrase.NewSalt(32)
		if len(s) != 32 {
			t.Fatalf("length %d", len(s))
		}
		for _, r := range s {
			if !strings.ContainsRune(chars, r) {
				t.Fatalf("%q has %q", s, r)
			}
			seen[r] = true
		}
	}
	// 1600 draws from 62 characters: all of them show up but for a chance
	// of about 62·(61/62)^1600 ≈ 3e-10.
	if len(seen) != len(chars) {
		t.Errorf("only %d of %d characters seen", len(seen), len(chars))
	}
	if passphrase.RandomString(0) != "" {
		t.Error("RandomString(0) is not empty")
	}
	if passphrase.NewSalt(32) == passphrase.NewSalt(32) {
		t.Error("two salts are equal")
	}
}
