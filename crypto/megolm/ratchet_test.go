package megolm

import (
	"math/rand/v2"
	"testing"
)

// advanceTo must equal repeated single steps, including across the 2^8 and
// 2^16 boundaries where slower parts reseed faster ones.
func TestAdvanceToMatchesSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var start ratchet
	for k := range start.parts {
		for i := range start.parts[k] {
			start.parts[k][i] = byte(rng.IntN(256))
		}
	}
	cases := [][2]uint32{
		{0, 0}, {0, 1}, {0, 255}, {0, 256}, {0, 257}, {255, 256}, {250, 600},
		{0xFF00, 0x10000}, {0xFFFE, 0x10003}, {0x1234, 0x1234}, {0xFFFFFFF0, 0xFFFFFFFF},
		{0xFFFFFFF0, 0x10}, // wraps past 2^32
	}
	for range 20 {
		from := rng.Uint32N(1 << 20)
		cases = append(cases, [2]uint32{from, from + rng.Uint32N(2000)})
	}
	for _, c := range cases {
		a := start
		a.counter = c[0]
		b := a
		a.advanceTo(c[1])
		for b.counter != c[1] {
			b.advance()
		}
		if !a.equal(&b) {
			t.Fatalf("advanceTo(%#x) from %#x differs from stepping", c[1], c[0])
		}
	}
}

// Jumping in stages equals jumping at once (what the inbound session relies
// on when it reuses its latest ratchet).
func TestAdvanceToComposes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := newRatchet(ratchetInit, 0)
	for range 50 {
		a, b := start, start
		mid := rng.Uint32N(1 << 31)
		end := mid + rng.Uint32N(1<<31)
		a.advanceTo(mid)
		a.advanceTo(end)
		b.advanceTo(end)
		if !a.equal(&b) {
			t.Fatalf("0→%#x→%#x differs from 0→%#x", mid, end, end)
		}
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 200, 300, 1<<32 - 1, 1 << 35, 1<<64 - 1} {
		b := appendVarint(nil, v)
		got, n := readVarint(b)
		if got != v || n != len(b) {
			t.Fatalf("%d: % x → %d (%d bytes)", v, b, got, n)
		}
	}
	for _, bad := range [][]byte{{}, {0x80}, {0xFF, 0xFF}, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}} {
		if _, n := readVarint(bad); n != 0 {
			t.Fatalf("% x accepted", bad)
		}
	}
}
