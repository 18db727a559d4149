// Package curve25519 is the group arithmetic behind X25519 and Ed25519 on
// field25519's 32-bit limbs: the Montgomery ladder, a fixed-base
// multiplication of the Ed25519 base point by precomputed multiples (for
// key generation and signing, about 3× fewer field products than a
// ladder), and the variable-time double multiplication of verification.
//
// Everything touching a secret scalar runs in constant time: table entries
// are picked by masked selection and the ladder swaps by masks.
package curve25519

import fe "github.com/mxcrypto/mxcrypto/crypto/internal/field25519"

// Points of the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2, in the
// coordinate systems of Hisil–Wong–Carter–Dawson (2008):
//
//	extended:  x = X/Z, y = Y/Z, x*y = T/Z
//	projective: the same without T
//	completed: x = X/Z, y = Y/T (what additions and doublings produce)
//	cached:    Y+X, Y-X, Z, 2d*T of an extended point (a ready addend)
//	affine:    y+x, y-x, 2d*x*y of a point with Z = 1 (table entries)
type extended struct{ X, Y, Z, T fe.Element }
type projective struct{ X, Y, Z fe.Element }
type completed struct{ X, Y, Z, T fe.Element }
type cached struct{ YplusX, YminusX, Z, T2d fe.Element }
type affine struct{ YplusX, YminusX, XY2d fe.Element }

var d, d2 fe.Element

func init() {
	// d = -121665/121666, as its canonical encoding.
	d.SetBytes([]byte{
		0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
		0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
	})
	d.Mul(&d, &fe.Element{1}) // reduced limbs
	d2.Add(&d, &d)
	d2.Mul(&d2, &fe.Element{1})
}

func (p *extended) identity() *extended {
	p.X.Zero()
	p.Y.One()
	p.Z.One()
	p.T.Zero()
	return p
}

func (a *affine) identity() *affine {
	a.YplusX.One()
	a.YminusX.One()
	a.XY2d.Zero()
	return a
}

func (r *extended) fromCompleted(p *completed) *extended {
	r.X.Mul(&p.X, &p.T)
	r.Y.Mul(&p.Y, &p.Z)
	r.Z.Mul(&p.Z, &p.T)
	r.T.Mul(&p.X, &p.Y)
	return r
}

func (r *projective) fromCompleted(p *completed) *projective {
	r.X.Mul(&p.X, &p.T)
	r.Y.Mul(&p.Y, &p.Z)
	r.Z.Mul(&p.Z, &p.T)
	return r
}

func (r *projective) fromExtended(p *extended) *projective {
	r.X, r.Y, r.Z = p.X, p.Y, p.Z
	return r
}

func (c *cached) fromExtended(p *extended) *cached {
	c.YplusX.Add(&p.Y, &p.X)
	c.YminusX.Sub(&p.Y, &p.X)
	c.Z = p.Z
	c.T2d.Mul(&p.T, &d2)
	return c
}

// double sets r = 2p (dbl-2008-hwcd with a = -1; every coordinate comes out
// negated, which is the same projective point).
func (r *completed) double(p *projective) *completed {
	var t0 fe.Element
	r.X.Square(&p.X)    // A
	r.Z.Square(&p.Y)    // B
	r.T.Square(&p.Z)    //
	r.T.Add(&r.T, &r.T) // C = 2 Z^2
	r.Y.Add(&p.X, &p.Y) //
	t0.Square(&r.Y)     // (X+Y)^2
	r.Y.Add(&r.Z, &r.X) // H = A + B
	r.Z.Sub(&r.Z, &r.X) // B - A = -G
	r.X.Sub(&t0, &r.Y)  // -E
	r.T.Sub(&r.T, &r.Z) // F = C + G
	return r
}

// add sets r = p + q (add-2008-hwcd-3 with a = -1).
func (r *completed) add(p *extended, q *cached) *completed {
	var t0 fe.Element
	r.X.Add(&p.Y, &p.X)
	r.Y.Sub(&p.Y, &p.X)
	r.Z.Mul(&r.X, &q.YplusX)  // B
	r.Y.Mul(&r.Y, &q.YminusX) // A
	r.T.Mul(&q.T2d, &p.T)     // C
	r.X.Mul(&p.Z, &q.Z)
	t0.Add(&r.X, &r.X)  // D
	r.X.Sub(&r.Z, &r.Y) // E
	r.Y.Add(&r.Z, &r.Y) // H
	r.Z.Add(&t0, &r.T)  // G
	r.T.Sub(&t0, &r.T)  // F
	return r
}

// sub sets r = p - q.
func (r *completed) sub(p *extended, q *cached) *completed {
	var t0 fe.Element
	r.X.Add(&p.Y, &p.X)
	r.Y.Sub(&p.Y, &p.X)
	r.Z.Mul(&r.X, &q.YminusX)
	r.Y.Mul(&r.Y, &q.YplusX)
	r.T.Mul(&q.T2d, &p.T)
	r.X.Mul(&p.Z, &q.Z)
	t0.Add(&r.X, &r.X)
	r.X.Sub(&r.Z, &r.Y)
	r.Y.Add(&r.Z, &r.Y)
	r.Z.Sub(&t0, &r.T)
	r.T.Add(&t0, &r.T)
	return r
}

// addAffine sets r = p + q for a table entry q (Z = 1).
func (r *completed) addAffine(p *extended, q *affine) *completed {
	var t0 fe.Element
	r.X.Add(&p.Y, &p.X)
	r.Y.Sub(&p.Y, &p.X)
	r.Z.Mul(&r.X, &q.YplusX)
	r.Y.Mul(&r.Y, &q.YminusX)
	r.T.Mul(&q.XY2d, &p.T)
	t0.Add(&p.Z, &p.Z)
	r.X.Sub(&r.Z, &r.Y)
	r.Y.Add(&r.Z, &r.Y)
	r.Z.Add(&t0, &r.T)
	r.T.Sub(&t0, &r.T)
	return r
}

// subAffine sets r = p - q for a table entry q.
func (r *completed) subAffine(p *extended, q *affine) *completed {
	var t0 fe.Element
	r.X.Add(&p.Y, &p.X)
	r.Y.Sub(&p.Y, &p.X)
	r.Z.Mul(&r.X, &q.YminusX)
	r.Y.Mul(&r.Y, &q.YplusX)
	r.T.Mul(&q.XY2d, &p.T)
	t0.Add(&p.Z, &p.Z)
	r.X.Sub(&r.Z, &r.Y)
	r.Y.Add(&r.Z, &r.Y)
	r.Z.Sub(&t0, &r.T)
	r.T.Add(&t0, &r.T)
	return r
}

// Bytes is the RFC 8032 encoding of p: y with the sign of x in the top bit.
func (p *extended) Bytes() [32]byte {
	var zInv, x, y fe.Element
	zInv.Invert(&p.Z)
	x.Mul(&p.X, &zInv)
	y.Mul(&p.Y, &zInv)
	out := y.Bytes()
	out[31] |= byte(x.IsNegative() << 7)
	return out
}

// montgomeryU is the u-coordinate of the Curve25519 point equivalent to p,
// u = (1+y)/(1-y) = (Z+Y)/(Z-Y) (RFC 7748 §4.1). The identity maps to 0.
func (p *extended) montgomeryU() [32]byte {
	var n, dn fe.Element
	n.Add(&p.Z, &p.Y)
	dn.Sub(&p.Z, &p.Y)
	dn.Invert(&dn)
	n.Mul(&n, &dn)
	return n.Bytes()
}
