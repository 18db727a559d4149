// Package passphrase derives keys from passphrases with PBKDF2-HMAC-SHA-512,
// as m.pbkdf2 (secret storage) and the legacy passphrase backup keys specify.
//
// In a browser or Node the JS loader prefers WebCrypto, which is several times
// faster than this code under wasm; this is the fallback and the reference.
package passphrase

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"

	"github.com/mxcrypto/mxcrypto/errcode"
)

const (
	// DefaultIterations for new keys, as matrix-rust-sdk and mautrix-go use.
	DefaultIterations = 500_000
	DefaultBits       = 256
	// MaxIterations bounds work so a hostile key description cannot hang a client.
	MaxIterations = 10_000_000
	Algorithm     = "m.pbkdf2"
)

// DeriveKey returns bits/8 bytes of PBKDF2-HMAC-SHA-512. The salt is the UTF-8
// string as stored in the key description; Matrix never base64-decodes it.
func DeriveKey(passphrase, salt string, iterations, bits int) ([]byte, error) {
	if err := CheckParams(iterations, bits); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha512.New, passphrase, []byte(salt), iterations, bits/8)
	if err != nil {
		// Only FIPS-only mode refuses (e.g. salts under 16 bytes).
		return nil, errcode.Wrap(errcode.BadInput, err, "PBKDF2 refused these parameters")
	}
	return key, nil
}

// CheckParams rejects parameters no real key description has.
func CheckParams(iterations, bits int) error {
	if iterations < 1 || iterations > MaxIterations {
		return errcode.New(errcode.BadInput, "iterations must be between 1 and %d, got %d", MaxIterations, iterations)
	}
	if bits < 8 || bits > 4096 || bits%8 != 0 {
		return errcode.New(errcode.BadInput, "bits must be a multiple of 8 between 8 and 4096, got %d", bits)
	}
	return nil
}

// NewSalt returns a random alphanumeric salt of n characters, the form
// matrix-js-sdk and matrix-rust-sdk write (32 characters).
func NewSalt(n int) string { return RandomString(n) }

// RandomString returns n characters drawn uniformly from [A-Za-z0-9].
func RandomString(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, b := range buf {
			// 248 = 4*62: rejecting above it keeps the choice uniform.
			if b < 248 && len(out) < n {
				out = append(out, chars[b%62])
			}
		}
	}
	return string(out)
}
