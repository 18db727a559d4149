package curve25519

import fe "github.com/mxcrypto/mxcrypto/crypto/internal/field25519"

// X25519 is RFC 7748's function of a 32-byte scalar (clamped here) and
// u-coordinate (its top bit ignored, non-canonical values accepted): the
// Montgomery ladder of §5 with masked swaps, so the sequence of operations
// and memory accesses never depends on the scalar.
func X25519(scalar, point []byte) [32]byte {
	var e [32]byte
	copy(e[:], scalar)
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64

	var x1, x2, z2, x3, z3, t0, t1 fe.Element
	x1.SetBytes(point)
	x2.One()
	x3.Set(&x1)
	z3.One()

	var swap int32
	for pos := 254; pos >= 0; pos-- {
		b := int32(e[pos/8]>>uint(pos&7)) & 1
		swap ^= b
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = b

		t0.Sub(&x3, &z3)
		t1.Sub(&x2, &z2)
		x2.Add(&x2, &z2)
		z2.Add(&x3, &z3)
		z3.Mul(&t0, &x2)
		z2.Mul(&z2, &t1)
		t0.Square(&t1)
		t1.Square(&x2)
		x3.Add(&z3, &z2)
		z2.Sub(&z3, &z2)
		x2.Mul(&t1, &t0)
		t1.Sub(&t1, &t0)
		z2.Square(&z2)
		z3.Mul121666(&t1)
		x3.Square(&x3)
		t0.Add(&t0, &z3)
		z3.Mul(&x1, &z2)
		z2.Mul(&t1, &t0)
	}
	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)
	clear(e[:])

	z2.Invert(&z2)
	x2.Mul(&x2, &z2)
	return x2.Bytes()
}
