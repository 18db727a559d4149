// Package field25519 is arithmetic modulo p = 2^255 - 19 on ten signed
// 32-bit limbs (radix 2^25.5: limbs of 26, 25, 26, 25, … bits), in constant
// time.
//
// Why not filippo.io/edwards25519/field: its five 51-bit limbs need
// 64×64→128-bit products, which WebAssembly does not have, so under
// js/wasm each becomes several 64-bit multiplies and shifts. Here every
// limb product is one 64-bit multiply of two sign-extended 32-bit limbs.
//
// Bounds discipline: mul, square and the other products return reduced
// elements (|limb| <= 2^25 for even limbs, 2^24 for odd, plus a little);
// Add, Sub and Neg do not carry, and a product accepts inputs up to 7 times
// those bounds. Callers chain at most a few additions between products.
package field25519

import "encoding/binary"

// Element is a field element h = sum of h[i] * 2^ceil(25.5*i). The zero
// value is 0.
type Element [10]int32

// limbWidth is the number of bits of limb i in a reduced element.
func limbWidth(i int) uint { return 26 - uint(i&1) }

// limbShift is the bit position of limb i.
var limbShift = [10]uint{0, 26, 51, 77, 102, 128, 153, 179, 204, 230}

func (v *Element) Zero() *Element { *v = Element{}; return v }
func (v *Element) One() *Element  { *v = Element{1}; return v }
func (v *Element) Set(a *Element) *Element {
	*v = *a
	return v
}

// Add sets v = a + b without carrying.
func (v *Element) Add(a, b *Element) *Element {
	for i := range v {
		v[i] = a[i] + b[i]
	}
	return v
}

// Sub sets v = a - b without carrying (limbs are signed).
func (v *Element) Sub(a, b *Element) *Element {
	for i := range v {
		v[i] = a[i] - b[i]
	}
	return v
}

// Neg sets v = -a.
func (v *Element) Neg(a *Element) *Element {
	for i := range v {
		v[i] = -a[i]
	}
	return v
}

// Mul sets v = a * b.
func (v *Element) Mul(a, b *Element) *Element { mul(v, a, b); return v }

// Square sets v = a * a.
func (v *Element) Square(a *Element) *Element { square(v, a); return v }

// Mul121666 sets v = 121666 * a, the constant (A+2)/4 of the Montgomery
// ladder of RFC 7748.
func (v *Element) Mul121666(a *Element) *Element {
	var h [10]int64
	for i := range h {
		h[i] = int64(a[i]) * 121666
	}
	carryWide(v, &h)
	return v
}

// Swap exchanges v and u when cond is 1 and leaves both when it is 0,
// without branching on cond.
func (v *Element) Swap(u *Element, cond int32) {
	mask := -cond
	for i := range v {
		t := mask & (v[i] ^ u[i])
		v[i] ^= t
		u[i] ^= t
	}
}

// Select sets v = a when cond is 1 and v = b when it is 0, in constant time.
func (v *Element) Select(a, b *Element, cond int32) *Element {
	mask := -cond
	for i := range v {
		v[i] = b[i] ^ (mask & (a[i] ^ b[i]))
	}
	return v
}

// SetBytes sets v to the little-endian 32-byte value x, ignoring its top
// bit (RFC 7748 §5). Values from p to 2^255-1 are accepted as they are
// (they reduce correctly in arithmetic). x must be 32 bytes.
func (v *Element) SetBytes(x []byte) *Element {
	var w [5]uint64
	for i := 0; i < 4; i++ {
		w[i] = binary.LittleEndian.Uint64(x[8*i:])
	}
	w[3] &= 1<<63 - 1
	for i := range v {
		pos := limbShift[i]
		word, bit := pos/64, pos%64
		bits := w[word] >> bit
		if bit != 0 {
			bits |= w[word+1] << (64 - bit)
		}
		v[i] = int32(bits & (1<<limbWidth(i) - 1))
	}
	return v
}

// Bytes returns the canonical little-endian encoding of v (fully reduced
// below p).
func (v *Element) Bytes() [32]byte {
	var h [10]int64
	for i := range h {
		h[i] = int64(v[i])
	}
	var t Element
	carryWide(&t, &h) // limbs now within their widths, the value in (-p, 2p)
	for i := range h {
		h[i] = int64(t[i])
	}
	// q = floor(h / 2^255) after adding 19: 1 exactly when h >= p, -1 when
	// negative. Subtracting q*p leaves the value in [0, p).
	q := (19*h[9] + 1<<24) >> 25
	for i := range h {
		q = (h[i] + q) >> limbWidth(i)
	}
	h[0] += 19 * q
	for i := 0; i < 9; i++ {
		w := limbWidth(i)
		c := h[i] >> w
		h[i+1] += c
		h[i] -= c << w
	}
	h[9] &= 1<<25 - 1 // drops q * 2^255

	var w [4]uint64
	for i := range h {
		pos := limbShift[i]
		word, bit := pos/64, pos%64
		w[word] |= uint64(h[i]) << bit
		if bit+limbWidth(i) > 64 {
			w[word+1] |= uint64(h[i]) >> (64 - bit)
		}
	}
	var out [32]byte
	for i := range w {
		binary.LittleEndian.PutUint64(out[8*i:], w[i])
	}
	return out
}

// IsNegative is 1 when the canonical encoding of v is odd (RFC 8032's sign
// of x), else 0.
func (v *Element) IsNegative() int32 {
	b := v.Bytes()
	return int32(b[0] & 1)
}

// IsZero is 1 when v = 0 (mod p), else 0, in constant time.
func (v *Element) IsZero() int32 {
	b := v.Bytes()
	var acc byte
	for _, x := range b {
		acc |= x
	}
	return int32((uint32(acc) - 1) >> 31)
}

// Equal is 1 when v = u (mod p), else 0, in constant time.
func (v *Element) Equal(u *Element) int32 {
	var d Element
	return d.Sub(v, u).IsZero()
}

// CondNeg sets v = -v when cond is 1, in constant time.
func (v *Element) CondNeg(cond int32) *Element {
	var n Element
	return v.Select(n.Neg(v), v, cond)
}
