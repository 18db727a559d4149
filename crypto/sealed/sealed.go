// Package sealed is mxcrypto's at-rest encryption for its own pickles and
// stored state: XChaCha20-Poly1305 with a 32-byte key and a random 24-byte
// nonce. ChaCha20 has no lookup tables, so it is constant-time under wasm,
// and the random nonce means one key can seal any number of values (unlike
// libolm's pickles, whose IV is derived from the key).
//
// Format: "mx" || version(1) || nonce(24) || ciphertext+tag. The header is
// authenticated as additional data together with the caller's label, so a
// value sealed as one kind of object cannot be opened as another.
package sealed

import "golang.org/x/crypto/chacha20poly1305"

const (
	KeySize    = chacha20poly1305.KeySize
	version    = 1
	headerSize = 3
	nonceSize  = chacha20poly1305.NonceSizeX
	// Overhead is the size a sealed value adds to its plaintext.
	Overhead = headerSize + nonceSize + chacha20poly1305.Overhead
)

// Seal encrypts and authenticates plaintext under key, bound to label
// (e.g. "olm.account").
func Seal(key []byte, label string, plaintext []byte) ([]byte, error) {
	return AppendSeal(make([]byte, 0, Overhead+len(plaintext)), key, label, plaintext)
}

// AppendSeal is Seal appending to dst, so many values can be sealed into
// one buffer without a copy each. plaintext must not overlap dst's spare
// capacity.
func AppendSeal(dst, key []byte, label string, plaintext []byte) ([]byte, error) {
	c, err := NewCipher(key)
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	return c.AppendSeal(dst, label, plaintext)
}

// Open reverses Seal. A value that fails authentication is WrongKey (the
// usual cause); one that is too short or has an unknown header is BadPickle.
func Open(key []byte, label string, sealed []byte) ([]byte, error) {
	c, err := NewCipher(key)
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	return c.Open(label, sealed)
}

func additionalData(header []byte, label string) []byte {
	return append(append([]byte{}, header...), label...)
}
