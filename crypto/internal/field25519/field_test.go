package field25519

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"
)

var p, _ = new(big.Int).SetString("57896044618658097711785492504343953926634992332820282019728792003956564819949", 10)

func leToBig(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

func bigToLE(x *big.Int) []byte {
	out := make([]byte, 32)
	b := new(big.Int).Mod(x, p).Bytes()
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

// value is v as an integer (limbs may be signed and unreduced).
func value(v *Element) *big.Int {
	x := new(big.Int)
	for i := range v {
		x.Add(x, new(big.Int).Lsh(big.NewInt(int64(v[i])), limbShift[i]))
	}
	return x
}

func fromInput(b []byte) (*Element, *big.Int) {
	var in [32]byte
	copy(in[:], b)
	v := new(Element).SetBytes(in[:])
	in[31] &= 0x7f
	return v, leToBig(in[:])
}

func check(t *testing.T, what string, got *Element, want *big.Int) {
	t.Helper()
	b := got.Bytes()
	if !bytes.Equal(b[:], bigToLE(want)) {
		t.Fatalf("%s: got %x want %x", what, b, bigToLE(want))
	}
	if new(big.Int).Mod(value(got), p).Cmp(new(big.Int).Mod(want, p)) != 0 {
		t.Fatalf("%s: limbs hold the wrong value", what)
	}
}

// edge values: 0, 1, p-1, p, p+1, 2^255-1, 2^255-20, and limbs at their
// maximum.
func edges() [][]byte {
	var out [][]byte
	for _, x := range []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(19),
		new(big.Int).Sub(p, big.NewInt(1)), p, new(big.Int).Add(p, big.NewInt(1)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 254),
	} {
		b := make([]byte, 32)
		xb := x.Bytes()
		for i := range xb {
			b[i] = xb[len(xb)-1-i]
		}
		out = append(out, b)
	}
	ff := bytes.Repeat([]byte{0xff}, 32)
	return append(out, ff)
}

func differential(t *testing.T, a, b []byte) {
	fa, xa := fromInput(a)
	fb, xb := fromInput(b)
	check(t, "SetBytes", fa, xa)
	var v Element
	check(t, "Mul", v.Mul(fa, fb), new(big.Int).Mul(xa, xb))
	check(t, "Square", v.Square(fa), new(big.Int).Mul(xa, xa))
	check(t, "Add", v.Add(fa, fb), new(big.Int).Add(xa, xb))
	check(t, "Sub", v.Sub(fa, fb), new(big.Int).Sub(xa, xb))
	check(t, "Neg", v.Neg(fa), new(big.Int).Neg(xa))
	check(t, "Mul121666", v.Mul121666(fa), new(big.Int).Mul(xa, big.NewInt(121666)))
	inv := new(big.Int).ModInverse(new(big.Int).Mod(xa, p), p)
	if inv == nil {
		inv = new(big.Int)
	}
	check(t, "Invert", v.Invert(fa), inv)
	// The widest inputs a product accepts: sums of 7 reduced elements.
	var r, wide, wide2 Element
	r.Mul(fa, fb)
	for i := 0; i < 7; i++ {
		wide.Add(&wide, &r)
		wide2.Sub(&wide2, &r)
	}
	x := new(big.Int).Mul(xa, xb)
	check(t, "Mul wide", v.Mul(&wide, &wide2), new(big.Int).Mul(new(big.Int).Mul(x, big.NewInt(7)), new(big.Int).Mul(x, big.NewInt(-7))))
	check(t, "Square wide", v.Square(&wide2), new(big.Int).Mul(new(big.Int).Mul(x, x), big.NewInt(49)))
	// Square root of a/b.
	var root Element
	ok := root.SqrtRatio(fa, fb)
	xbm := new(big.Int).Mod(xb, p)
	if xbm.Sign() != 0 {
		q := new(big.Int).Mul(new(big.Int).Mod(xa, p), new(big.Int).ModInverse(xbm, p))
		q.Mod(q, p)
		isSquare := new(big.Int).ModSqrt(q, p) != nil
		if (ok == 1) != isSquare {
			t.Fatalf("SqrtRatio says %d, square %v", ok, isSquare)
		}
		if ok == 1 {
			check(t, "SqrtRatio", v.Square(&root), q)
			if root.IsNegative() != 0 {
				t.Fatal("SqrtRatio root negative")
			}
		}
	}
	if fa.Equal(fb) != int32(b2i(new(big.Int).Mod(xa, p).Cmp(new(big.Int).Mod(xb, p)) == 0)) {
		t.Fatal("Equal")
	}
	c1, c2 := *fa, *fb
	c1.Swap(&c2, 1)
	if c1 != *fb || c2 != *fa {
		t.Fatal("Swap 1")
	}
	c1.Swap(&c2, 0)
	if c1 != *fb {
		t.Fatal("Swap 0")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestDifferential(t *testing.T) {
	for _, a := range edges() {
		for _, b := range edges() {
			differential(t, a, b)
		}
	}
	for i := 0; i < 500; i++ {
		a, b := make([]byte, 32), make([]byte, 32)
		rand.Read(a)
		rand.Read(b)
		differential(t, a, b)
	}
}

func TestSqrtM1(t *testing.T) {
	var v Element
	want := new(big.Int).Sub(p, big.NewInt(1))
	check(t, "sqrtM1^2", v.Square(&sqrtM1), want)
}

// FuzzField compares every operation with math/big.
func FuzzField(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xed}, 32))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		differential(t, a, b)
	})
}

func BenchmarkMul(b *testing.B) {
	var x, y Element
	x.SetBytes(bytes.Repeat([]byte{0x35}, 32))
	y.SetBytes(bytes.Repeat([]byte{0x53}, 32))
	for b.Loop() {
		x.Mul(&x, &y)
	}
}

func BenchmarkSquare(b *testing.B) {
	var x Element
	x.SetBytes(bytes.Repeat([]byte{0x35}, 32))
	for b.Loop() {
		x.Square(&x)
	}
}
