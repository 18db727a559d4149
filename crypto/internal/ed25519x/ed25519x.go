// Package ed25519x holds an Ed25519 signing key in either form Matrix
// libraries store: the 32-byte seed (what Go's crypto/ed25519 and vodozemac
// keep) or libolm's 64-byte "expanded" secret (SHA-512 of the seed with the
// first half clamped), from which the seed cannot be recovered. Keys imported
// from libolm pickles only exist in the expanded form, so signing must work
// from it too.
//
// Under js/wasm, key derivation and signing use the fixed-base
// multiplication of crypto/internal/curve25519 and verification its
// double multiplication (32-bit limbs, which wasm multiplies natively);
// natively, and under wasm should its self-tests fail, filippo.io/edwards25519.
// Scalars mod the group order are edwards25519.Scalar either way.
package ed25519x

import (
	"crypto/rand"
	"crypto/sha512"
	"runtime"

	"filippo.io/edwards25519"
	"github.com/mxcrypto/mxcrypto/crypto/internal/curve25519"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/accel"
)

// useCurve25519 is true under wasm once curve25519 and this package's
// signing passed their known-answer tests. runtime.GOARCH is a constant:
// natively the package is not even linked.
func useCurve25519() bool { return runtime.GOARCH == "wasm" && fastReady() }

const (
	SeedSize      = 32
	ExpandedSize  = 64
	PublicSize    = 32
	SignatureSize = 64
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
	k := &PrivateKey{seed: append([]byte(nil), seed...)}
	k.public = publicOf(k.Expanded())
	return k, nil
}

// FromExpanded makes a key from libolm's 64-byte expanded secret. The public
// key is recomputed from the scalar; a stored public key that differs means
// the pickle is corrupt, and the caller should compare.
func FromExpanded(expanded []byte) (*PrivateKey, error) {
	if len(expanded) != ExpandedSize {
		return nil, errcode.New(errcode.BadInput, "expanded Ed25519 key must be %d bytes, got %d", ExpandedSize, len(expanded))
	}
	return &PrivateKey{expanded: append([]byte(nil), expanded...), public: publicOf(expanded)}, nil
}

// FromStored rebuilds a key from stored state: the private part (a 32-byte
// seed or a 64-byte expanded secret) and its public key, without deriving the
// public key again (a scalar multiplication, ~0.25 ms under wasm). Only for
// state that is authenticated or our own; signatures use the given public
// key, as libolm does with its stored one.
func FromStored(private, public []byte) (*PrivateKey, error) {
	if len(public) != PublicSize {
		return nil, errcode.New(errcode.BadInput, "Ed25519 public key must be %d bytes, got %d", PublicSize, len(public))
	}
	k := &PrivateKey{public: append([]byte(nil), public...)}
	switch len(private) {
	case SeedSize:
		k.seed = append([]byte(nil), private...)
	case ExpandedSize:
		k.expanded = append([]byte(nil), private...)
	default:
		return nil, errcode.New(errcode.BadInput, "Ed25519 private key must be %d or %d bytes, got %d", SeedSize, ExpandedSize, len(private))
	}
	return k, nil
}

func publicOf(expanded []byte) []byte {
	return publicWith(useCurve25519(), expanded)
}

func publicWith(fast bool, expanded []byte) []byte {
	// SetBytesWithClamping only fails for a length other than 32.
	s, _ := edwards25519.NewScalar().SetBytesWithClamping(expanded[:32])
	return baseMult(fast, s)
}

// baseMult returns the encoding of s*B.
func baseMult(fast bool, s *edwards25519.Scalar) []byte {
	if fast {
		var b [32]byte
		copy(b[:], s.Bytes())
		out := curve25519.ScalarBaseMult(&b).Bytes()
		clear(b[:])
		return out[:]
	}
	return new(edwards25519.Point).ScalarBaseMult(s).Bytes()
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

// Wipe clears the private key material held by k; k must not sign after.
func (k *PrivateKey) Wipe() {
	clear(k.seed)
	clear(k.expanded)
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

// Sign returns an Ed25519 signature of msg (RFC 8032 §5.1.6), computed from
// the expanded secret: scalar a and prefix. A seed key signs exactly as
// crypto/ed25519 would (signing is deterministic).
func (k *PrivateKey) Sign(msg []byte) []byte {
	if h := accel.Current(); h != nil && k.seed != nil {
		if sig, ok := h.Ed25519Sign(k.seed, k.public, msg); ok {
			return sig[:]
		}
	}
	expanded := k.expanded
	if expanded == nil {
		expanded = k.Expanded()
		defer clear(expanded)
	}
	return sign(useCurve25519(), expanded, k.public, msg)
}

// sign is RFC 8032 §5.1.6 from the expanded secret.
func sign(fast bool, expanded, public, msg []byte) []byte {
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(expanded[:32])
	h := sha512.New()
	h.Write(expanded[32:])
	h.Write(msg)
	r, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	R := baseMult(fast, r)
	h.Reset()
	h.Write(R)
	h.Write(public)
	h.Write(msg)
	kk, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(kk, a, r)
	return append(R, S.Bytes()...)
}

// Verify checks a signature (RFC 8032 §5.1.7, cofactorless, as
// crypto/ed25519), rejecting public keys that are not canonical encodings or
// are of small order (as vodozemac's strict verification does) and
// non-canonical S.
func Verify(public, msg, sig []byte) bool {
	return verify(useCurve25519(), public, msg, sig)
}

func verify(fast bool, public, msg, sig []byte) bool {
	if len(public) != PublicSize || len(sig) != SignatureSize {
		return false
	}
	if fast {
		S, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
		if err != nil {
			return false
		}
		h := sha512.New()
		h.Write(sig[:32])
		h.Write(public)
		h.Write(msg)
		k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
		var kb, sb [32]byte
		copy(kb[:], k.Bytes())
		copy(sb[:], S.Bytes())
		return curve25519.VarTimeCheck(public, &kb, &sb, sig[:32])
	}
	A, err := new(edwards25519.Point).SetBytes(public)
	if err != nil || !bytesEqual(A.Bytes(), public) {
		return false
	}
	if new(edwards25519.Point).MultByCofactor(A).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return false
	}
	S, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(public)
	h.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	minusA := new(edwards25519.Point).Negate(A)
	R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, minusA, S)
	return bytesEqual(R.Bytes(), sig[:32])
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
