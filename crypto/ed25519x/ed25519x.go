// Package ed25519x holds an Ed25519 signing key in either form Matrix
// libraries store: the 32-byte seed (what Go's crypto/ed25519 and vodozemac
// keep) or libolm's 64-byte "expanded" secret (SHA-512 of the seed with the
// first half clamped), from which the seed cannot be recovered. Keys imported
// from libolm pickles only exist in the expanded form, so signing must work
// from it too.
package ed25519x

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

const (
	SeedSize     = ed25519.SeedSize
	ExpandedSize = 64
	PublicSize   = ed25519.PublicKeySize
)

// PrivateKey signs. Exactly one of seed or expanded is set.
type PrivateKey struct {
	seed     []byte
	expanded []byte
	public   []byte
}

// Generate returns a new seed-based key.
func Generate() *PrivateKey {
	seed := make([]byte, SeedSize)
	rand.Read(seed)
	k, _ := FromSeed(seed)
	return k
}

// FromSeed makes a key from a 32-byte seed.
func FromSeed(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, errcode.New(errcode.BadInput, "Ed25519 seed must be %d bytes, got %d", SeedSize, len(seed))
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return &PrivateKey{seed: append([]byte(nil), seed...), public: pub}, nil
}

// FromExpanded makes a key from libolm's 64-byte expanded secret. The public
// key is recomputed from the scalar; a stored public key that differs means
// the pickle is corrupt, and the caller should compare.
func FromExpanded(expanded []byte) (*PrivateKey, error) {
	if len(expanded) != ExpandedSize {
		return nil, errcode.New(errcode.BadInput, "expanded Ed25519 key must be %d bytes, got %d", ExpandedSize, len(expanded))
	}
	s, err := edwards25519.NewScalar().SetBytesWithClamping(expanded[:32])
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "expanded Ed25519 key")
	}
	pub := new(edwards25519.Point).ScalarBaseMult(s).Bytes()
	return &PrivateKey{expanded: append([]byte(nil), expanded...), public: pub}, nil
}

// Public returns the 32-byte public key.
func (k *PrivateKey) Public() []byte { return append([]byte(nil), k.public...) }

// Seed returns the seed, or nil for a key imported in expanded form.
func (k *PrivateKey) Seed() []byte {
	if k.seed == nil {
		return nil
	}
	return append([]byte(nil), k.seed...)
}

// Expanded returns the 64-byte expanded secret (derived from the seed if
// needed), the form libolm pickles hold.
func (k *PrivateKey) Expanded() []byte {
	if k.expanded != nil {
		return append([]byte(nil), k.expanded...)
	}
	h := sha512.Sum512(k.seed)
	h[0] &= 248
	h[31] &= 63
	h[31] |= 64
	return h[:]
}

// Sign returns an Ed25519 signature of msg. Both forms give identical
// signatures for the same key (Ed25519 signing is deterministic).
func (k *PrivateKey) Sign(msg []byte) []byte {
	if k.seed != nil {
		return ed25519.Sign(ed25519.NewKeyFromSeed(k.seed), msg)
	}
	// RFC 8032 §5.1.6 from the expanded secret: scalar a, prefix.
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(k.expanded[:32])
	h := sha512.New()
	h.Write(k.expanded[32:])
	h.Write(msg)
	r, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	h.Reset()
	h.Write(R)
	h.Write(k.public)
	h.Write(msg)
	kk, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(kk, a, r)
	return append(R, S.Bytes()...)
}

// Verify checks a signature, rejecting public keys that are not canonical
// encodings or are of small order (as vodozemac's strict verification does).
func Verify(public, msg, sig []byte) bool {
	if len(public) != PublicSize || len(sig) != ed25519.SignatureSize {
		return false
	}
	p, err := new(edwards25519.Point).SetBytes(public)
	if err != nil || !bytesEqual(p.Bytes(), public) {
		return false
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return false
	}
	return ed25519.Verify(public, msg, sig)
}

func bytesEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
