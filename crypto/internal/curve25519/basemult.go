package curve25519

import (
	"sync"

	fe "github.com/mxcrypto/mxcrypto/crypto/internal/field25519"
)

// baseEncoding is the RFC 8032 encoding of the Ed25519 base point B
// (y = 4/5, x even).
var baseEncoding = [32]byte{
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
}

// baseTable[i][j] = (j+1) * 256^i * B in affine form: 256 entries that let
// a 256-bit scalar in signed radix-16 digits be multiplied with 64 table
// additions and 4 doublings. Computed on first use (about 1 ms under wasm)
// instead of carried as 30 KB of constants in the module. Entries are kept
// packed, two 32-bit limbs to a 64-bit word, so the constant-time lookup
// masks half as many words.
var (
	baseTable     [32][8]packedAffine
	baseTableOnce sync.Once
	basePoint     extended
)

func initBaseTable() {
	// A constant that decodes; were it not to, the self-test fails and
	// callers never use this package.
	basePoint.SetBytes(baseEncoding[:])
	var points [32 * 8]extended
	var row extended = basePoint
	var c completed
	var proj projective
	var rowCached cached
	for i := 0; i < 32; i++ {
		rowCached.fromExtended(&row)
		points[8*i] = row
		for j := 1; j < 8; j++ {
			points[8*i+j].fromCompleted(c.add(&points[8*i+j-1], &rowCached))
		}
		// next row: 256 * row = 2^8 * row
		proj.fromExtended(&row)
		for k := 0; k < 7; k++ {
			proj.fromCompleted(c.double(&proj))
		}
		row.fromCompleted(c.double(&proj))
	}
	// One inversion for all 256 Z (Montgomery's trick).
	var prefix [32 * 8]fe.Element
	acc := new(fe.Element).One()
	for i := range points {
		prefix[i] = *acc
		acc.Mul(acc, &points[i].Z)
	}
	var inv fe.Element
	inv.Invert(acc)
	for i := len(points) - 1; i >= 0; i-- {
		var zInv, x, y fe.Element
		zInv.Mul(&inv, &prefix[i])
		inv.Mul(&inv, &points[i].Z)
		x.Mul(&points[i].X, &zInv)
		y.Mul(&points[i].Y, &zInv)
		var e affine
		e.YplusX.Add(&y, &x)
		e.YminusX.Sub(&y, &x)
		e.XY2d.Mul(&x, &y)
		e.XY2d.Mul(&e.XY2d, &d2)
		baseTable[i/8][i%8].pack(&e)
	}
}

// packedAffine is an affine point's 30 limbs, two to a word.
type packedAffine [15]uint64

func (p *packedAffine) pack(a *affine) {
	for k := 0; k < 5; k++ {
		p[k] = uint64(uint32(a.YplusX[2*k])) | uint64(uint32(a.YplusX[2*k+1]))<<32
		p[5+k] = uint64(uint32(a.YminusX[2*k])) | uint64(uint32(a.YminusX[2*k+1]))<<32
		p[10+k] = uint64(uint32(a.XY2d[2*k])) | uint64(uint32(a.XY2d[2*k+1]))<<32
	}
}

func (a *affine) unpack(p *packedAffine) {
	for k := 0; k < 5; k++ {
		a.YplusX[2*k], a.YplusX[2*k+1] = int32(uint32(p[k])), int32(uint32(p[k]>>32))
		a.YminusX[2*k], a.YminusX[2*k+1] = int32(uint32(p[5+k])), int32(uint32(p[5+k]>>32))
		a.XY2d[2*k], a.XY2d[2*k+1] = int32(uint32(p[10+k])), int32(uint32(p[10+k]>>32))
	}
}

// equal is 1 when a == b (both in 0..15), else 0.
func equal(a, b int8) int32 {
	x := uint32(uint8(a ^ b))
	return int32((x - 1) >> 31)
}

// lookupBase sets t = digit * 256^i * B, digit in [-8, 8], in constant time:
// every entry of the row is read and masked in (one pass over all limbs,
// not a Select call per coordinate: this runs 64 times per multiplication).
func lookupBase(t *affine, i int, digit int8) {
	negative := int32(uint8(digit) >> 7)
	abs := digit - int8((-negative)&int32(digit))<<1
	// The identity: y+x = y-x = 1, 2dxy = 0.
	acc := packedAffine{0: 1, 5: 1}
	row := &baseTable[i]
	for j := range row {
		m := uint64(int64(-equal(abs, int8(j+1))))
		e := &row[j]
		for k := range acc {
			acc[k] ^= m & (acc[k] ^ e[k])
		}
	}
	t.unpack(&acc)
	// Negate when the digit is: swap y+x and y-x, negate 2dxy.
	m := -negative
	for k := range t.YplusX {
		s := m & (t.YplusX[k] ^ t.YminusX[k])
		t.YplusX[k] ^= s
		t.YminusX[k] ^= s
		t.XY2d[k] ^= m & (t.XY2d[k] ^ -t.XY2d[k])
	}
}

// ScalarBaseMult returns a * B for a 32-byte little-endian scalar a below
// 2^255 (clamped secret keys and reduced scalars are), in constant time.
func ScalarBaseMult(a *[32]byte) *Point {
	baseTableOnce.Do(initBaseTable)
	// Signed radix-16 digits e[0..63] in [-8, 8]: a = sum e[i] 16^i.
	var e [64]int8
	for i := 0; i < 32; i++ {
		e[2*i] = int8(a[i] & 15)
		e[2*i+1] = int8(a[i] >> 4)
	}
	var carry int8
	for i := 0; i < 63; i++ {
		e[i] += carry
		carry = (e[i] + 8) >> 4
		e[i] -= carry << 4
	}
	e[63] += carry

	var h extended
	var c completed
	var t affine
	var proj projective
	h.identity()
	// Odd digits: sum e[2i+1] 256^i B, then times 16; then the even digits.
	for i := 1; i < 64; i += 2 {
		lookupBase(&t, i/2, e[i])
		h.fromCompleted(c.addAffine(&h, &t))
	}
	proj.fromExtended(&h)
	proj.fromCompleted(c.double(&proj))
	proj.fromCompleted(c.double(&proj))
	proj.fromCompleted(c.double(&proj))
	h.fromCompleted(c.double(&proj))
	for i := 0; i < 64; i += 2 {
		lookupBase(&t, i/2, e[i])
		h.fromCompleted(c.addAffine(&h, &t))
	}
	return &Point{h}
}
