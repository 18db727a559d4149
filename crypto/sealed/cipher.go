package sealed

import (
	"crypto/cipher"
	"crypto/rand"

	"github.com/mxcrypto/mxcrypto/errcode"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// Cipher seals and opens values under one key that it holds in one place
// until Wipe: for a key used many times (a store's), where
// chacha20poly1305.NewX per value would leave a copy of the key in memory
// for every call, none of them wiped.
//
// It is XChaCha20-Poly1305 as x/crypto builds it: the subkey HChaCha20(key,
// nonce[:16]) and ChaCha20-Poly1305 with nonce 0⁴ || nonce[16:24]. Only
// the subkey of one value reaches the AEAD, and it is wiped after use
// (the AEAD's own copy of it is not, but it opens that value only).
type Cipher struct {
	key   [KeySize]byte
	wiped bool
}

// NewCipher copies key; the caller may wipe its own copy.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "pickle key must be %d bytes, got %d", KeySize, len(key))
	}
	c := &Cipher{}
	copy(c.key[:], key)
	return c, nil
}

// Wipe zeroes the key; later calls fail.
func (c *Cipher) Wipe() {
	if c != nil {
		clear(c.key[:])
		c.wiped = true
	}
}

// aead is the ChaCha20-Poly1305 of one value's nonce (24 bytes) and the
// 12-byte nonce to use with it.
func (c *Cipher) aead(nonce []byte) (cipher.AEAD, []byte, error) {
	if c == nil || c.wiped {
		return nil, nil, errcode.New(errcode.BadInput, "the key was wiped")
	}
	sub, err := chacha20.HChaCha20(c.key[:], nonce[:16])
	if err != nil {
		return nil, nil, errcode.Wrap(errcode.Internal, err, "HChaCha20")
	}
	aead, err := chacha20poly1305.New(sub)
	clear(sub)
	if err != nil {
		return nil, nil, errcode.Wrap(errcode.Internal, err, "ChaCha20-Poly1305")
	}
	n := make([]byte, chacha20poly1305.NonceSize)
	copy(n[4:], nonce[16:24])
	return aead, n, nil
}

// Seal is the package's Seal under c's key.
func (c *Cipher) Seal(label string, plaintext []byte) ([]byte, error) {
	return c.AppendSeal(make([]byte, 0, Overhead+len(plaintext)), label, plaintext)
}

// AppendSeal is the package's AppendSeal under c's key.
func (c *Cipher) AppendSeal(dst []byte, label string, plaintext []byte) ([]byte, error) {
	var nonce [nonceSize]byte
	rand.Read(nonce[:])
	aead, n, err := c.aead(nonce[:])
	if err != nil {
		return nil, err
	}
	start := len(dst)
	out := append(dst, 'm', 'x', version)
	out = append(out, nonce[:]...)
	return aead.Seal(out, n, plaintext, additionalData(out[start:start+headerSize], label)), nil
}

// Open is the package's Open under c's key.
func (c *Cipher) Open(label string, sealed []byte) ([]byte, error) {
	if c == nil || c.wiped {
		return nil, errcode.New(errcode.BadInput, "the key was wiped")
	}
	if len(sealed) < Overhead || sealed[0] != 'm' || sealed[1] != 'x' {
		return nil, errcode.New(errcode.BadPickle, "not an mxcrypto pickle (too short or wrong header): damaged, or made by another library")
	}
	if sealed[2] != version {
		return nil, errcode.New(errcode.BadPickle, "pickle format version %d is not supported by this mxcrypto (it reads version %d)", sealed[2], version)
	}
	aead, n, err := c.aead(sealed[headerSize : headerSize+nonceSize])
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, n, sealed[headerSize+nonceSize:], additionalData(sealed[:headerSize], label))
	if err != nil {
		return nil, errcode.New(errcode.WrongKey, "cannot open the pickle: wrong pickle key, or the pickle was altered")
	}
	return pt, nil
}
