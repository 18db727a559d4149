// Package x25519 is the X25519 function of RFC 7748.
//
// Under js/wasm it runs on crypto/internal/curve25519 (32-bit limbs, which
// wasm multiplies natively; public keys by a fixed-base multiplication),
// about twice as fast as the 64-bit-limb field of filippo.io/edwards25519.
// Natively, and under wasm should that package's self-test ever fail, the
// ladder here on filippo.io/edwards25519's field is used (crypto/ecdh would
// do, but it links the NIST curves too).
package x25519

import (
	"crypto/rand"
	"crypto/subtle"
	"runtime"

	"filippo.io/edwards25519/field"
	"github.com/mxcrypto/mxcrypto/crypto/internal/curve25519"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/accel"
)

const Size = 32

var basePoint = [Size]byte{9}

// PublicKey returns the public key of a 32-byte private key (any bytes;
// clamping happens inside, as libolm and crypto/ecdh do).
func PublicKey(private []byte) ([]byte, error) {
	if len(private) != Size {
		return nil, errcode.New(errcode.BadInput, "Curve25519 private key must be %d bytes, got %d", Size, len(private))
	}
	if h := accel.Current(); h != nil {
		if out, ok := h.X25519(private, basePoint[:]); ok {
			return out[:], nil
		}
	}
	if useCurve25519() {
		out := curve25519.X25519Base(private)
		return out[:], nil
	}
	out := scalarMult(private, basePoint[:])
	return out[:], nil
}

// useCurve25519 is true under wasm once crypto/internal/curve25519 passed
// its self-test. runtime.GOARCH is a constant: natively the package is not
// even linked.
func useCurve25519() bool { return runtime.GOARCH == "wasm" && curve25519.Ready() }

// GenerateKey returns a new private key and its public key.
func GenerateKey() (private, public []byte) {
	private = make([]byte, Size)
	rand.Read(private)
	public, _ = PublicKey(private)
	return private, public
}

// SharedSecret is X25519(private, public). A result of all zeros means the
// public key is of low order and contributes nothing; like crypto/ecdh and
// vodozemac, that is an error (BadInput), never a key.
func SharedSecret(private, public []byte) ([]byte, error) {
	if len(private) != Size || len(public) != Size {
		return nil, errcode.New(errcode.BadInput, "Curve25519 keys must be %d bytes", Size)
	}
	out := x25519(private, public)
	var zero [Size]byte
	if subtle.ConstantTimeCompare(out[:], zero[:]) == 1 {
		return nil, errcode.New(errcode.BadInput, "Curve25519 public key is a low-order point")
	}
	return out[:], nil
}

// x25519 lets a native host compute when there is one (see internal/accel).
func x25519(scalar, point []byte) [Size]byte {
	if h := accel.Current(); h != nil {
		if out, ok := h.X25519(scalar, point); ok {
			return out
		}
	}
	if useCurve25519() {
		return curve25519.X25519(scalar, point)
	}
	return scalarMult(scalar, point)
}

// scalarMult is the Montgomery ladder of RFC 7748 §5, with conditional swaps
// so the sequence of operations never depends on the scalar.
func scalarMult(scalar, point []byte) [Size]byte {
	var e [Size]byte
	copy(e[:], scalar)
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64

	var x1, x2, z2, x3, z3, t0, t1 field.Element
	x1.SetBytes(point) // ignores the top bit and accepts non-canonical values, per RFC 7748
	x2.One()
	z2.Zero()
	x3.Set(&x1)
	z3.One()

	swap := 0
	for pos := 254; pos >= 0; pos-- {
		b := int(e[pos/8]>>uint(pos&7)) & 1
		swap ^= b
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = b

		t0.Subtract(&x3, &z3)
		t1.Subtract(&x2, &z2)
		x2.Add(&x2, &z2)
		z2.Add(&x3, &z3)
		z3.Multiply(&t0, &x2)
		z2.Multiply(&z2, &t1)
		t0.Square(&t1)
		t1.Square(&x2)
		x3.Add(&z3, &z2)
		z2.Subtract(&z3, &z2)
		x2.Multiply(&t1, &t0)
		t1.Subtract(&t1, &t0)
		z2.Square(&z2)
		z3.Mult32(&t1, 121666)
		x3.Square(&x3)
		t0.Add(&t0, &z3)
		z3.Multiply(&x1, &z2)
		z2.Multiply(&t1, &t0)
	}
	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)

	z2.Invert(&z2)
	x2.Multiply(&x2, &z2)
	var out [Size]byte
	copy(out[:], x2.Bytes())
	return out
}
