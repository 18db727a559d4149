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

import (
	"crypto/rand"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"golang.org/x/crypto/chacha20poly1305"
)

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
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	start := len(dst)
	out := append(dst, 'm', 'x', version)
	out = append(out, make([]byte, nonceSize)...)
	rand.Read(out[start+headerSize:])
	nonce := out[start+headerSize:]
	return aead.Seal(out, nonce, plaintext, additionalData(out[start:start+headerSize], label)), nil
}

// Open reverses Seal. A value that fails authentication is WrongKey (the
// usual cause); one that is too short or has an unknown header is BadPickle.
func Open(key []byte, label string, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < Overhead || sealed[0] != 'm' || sealed[1] != 'x' {
		return nil, errcode.New(errcode.BadPickle, "not an mxcrypto pickle (too short or wrong header): damaged, or made by another library")
	}
	if sealed[2] != version {
		return nil, errcode.New(errcode.BadPickle, "pickle format version %d is not supported by this mxcrypto (it reads version %d)", sealed[2], version)
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	pt, err := aead.Open(nil, nonce, sealed[headerSize+nonceSize:], additionalData(sealed[:headerSize], label))
	if err != nil {
		return nil, errcode.New(errcode.WrongKey, "cannot open the pickle: wrong pickle key, or the pickle was altered")
	}
	return pt, nil
}

func newAEAD(key []byte) (interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "pickle key must be %d bytes, got %d", KeySize, len(key))
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err, "XChaCha20-Poly1305")
	}
	return aead, nil
}

func additionalData(header []byte, label string) []byte {
	return append(append([]byte{}, header...), label...)
}
