package field25519

// squareN sets v = a^(2^n), n >= 1.
func (v *Element) squareN(a *Element, n int) *Element {
	v.Square(a)
	for i := 1; i < n; i++ {
		v.Square(v)
	}
	return v
}

// pow2250 returns z^(2^250 - 1) and z^11, the common start of the inversion
// and square-root exponents (the usual addition chain: 254 squarings and 11
// multiplications in all for the inversion).
func pow2250(z *Element) (z2250m1, z11 Element) {
	var t0, t1, t2, t3 Element
	t0.Square(z)          // 2
	t1.squareN(&t0, 2)    // 8
	t1.Mul(z, &t1)        // 9
	z11.Mul(&t0, &t1)     // 11
	t2.Square(&z11)       // 22
	t1.Mul(&t1, &t2)      // 31 = 2^5 - 1
	t2.squareN(&t1, 5)    // 2^10 - 2^5
	t1.Mul(&t2, &t1)      // 2^10 - 1
	t2.squareN(&t1, 10)   // 2^20 - 2^10
	t2.Mul(&t2, &t1)      // 2^20 - 1
	t3.squareN(&t2, 20)   // 2^40 - 2^20
	t2.Mul(&t3, &t2)      // 2^40 - 1
	t2.squareN(&t2, 10)   // 2^50 - 2^10
	t1.Mul(&t2, &t1)      // 2^50 - 1
	t2.squareN(&t1, 50)   // 2^100 - 2^50
	t2.Mul(&t2, &t1)      // 2^100 - 1
	t3.squareN(&t2, 100)  // 2^200 - 2^100
	t2.Mul(&t3, &t2)      // 2^200 - 1
	t2.squareN(&t2, 50)   // 2^250 - 2^50
	z2250m1.Mul(&t2, &t1) // 2^250 - 1
	return z2250m1, z11
}

// Invert sets v = 1/z (z^(p-2)); 1/0 is 0.
func (v *Element) Invert(z *Element) *Element {
	t, z11 := pow2250(z)
	t.squareN(&t, 5)       // 2^255 - 2^5
	return v.Mul(&t, &z11) // 2^255 - 21 = p - 2
}

// Pow22523 sets v = z^((p-5)/8) = z^(2^252 - 3), the exponent of square
// roots modulo p.
func (v *Element) Pow22523(z *Element) *Element {
	t, _ := pow2250(z)
	t.squareN(&t, 2) // 2^252 - 4
	return v.Mul(&t, z)
}

// sqrtM1 is a square root of -1: 2^((p-1)/4).
var sqrtM1 = Element{-32595792, -7943725, 9377950, 3500415, 12389472, -272473, -25146209, -2005654, 326686, 11406482}

// SqrtRatio sets v to a square root of u/w with a non-negative encoding
// and returns 1, or returns 0 (v then undefined) when u/w is not a square.
// For u = 0 it returns 1 and v = 0. Constant time.
func (v *Element) SqrtRatio(u, w *Element) int32 {
	var w3, w7, r, check, t Element
	w3.Square(w)
	w3.Mul(&w3, w) // w^3
	w7.Square(&w3)
	w7.Mul(&w7, w) // w^7
	r.Mul(u, &w7)
	r.Pow22523(&r)
	r.Mul(&r, &w3)
	r.Mul(&r, u) // r = u w^3 (u w^7)^((p-5)/8)
	check.Square(&r)
	check.Mul(&check, w) // w r^2

	var negU Element
	negU.Neg(u)
	correct := check.Equal(u)
	flipped := check.Equal(&negU)
	t.Mul(&negU, &sqrtM1)
	flippedI := check.Equal(&t) // w r^2 = -u i: no root
	t.Mul(&r, &sqrtM1)
	r.Select(&t, &r, flipped|flippedI)
	r.CondNeg(r.IsNegative())
	v.Set(&r)
	return correct | flipped
}
