package megolm

import (
	"crypto/rand"
	"testing"

	"filippo.io/edwards25519"
)

// The check by re-encoding, as it was: the reference for usablePublicKey.
func usableByReencoding(b []byte) bool {
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil || string(p.Bytes()) != string(b) {
		return false
	}
	return new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1
}

func TestUsablePublicKeyMatchesReencoding(t *testing.T) {
	var cases [][]byte
	// Edges: y around p, x = 0 points with either sign, small-order points.
	for _, low := range []byte{0xec, 0xed, 0xee, 0xff} {
		b := make([]byte, 32)
		b[0] = low
		for i := 1; i < 31; i++ {
			b[i] = 0xff
		}
		for _, top := range []byte{0x7f, 0xff} {
			c := append([]byte(nil), b...)
			c[31] = top
			cases = append(cases, c)
		}
	}
	one := make([]byte, 32)
	one[0] = 1
	negOne := append([]byte(nil), one...)
	negOne[31] = 0x80
	cases = append(cases, one, negOne, make([]byte, 32))
	for _, hexPoint := range [][]byte{edwards25519.NewIdentityPoint().Bytes(), edwards25519.NewGeneratorPoint().Bytes()} {
		cases = append(cases, hexPoint)
	}
	for i := 0; i < 2000; i++ {
		b := make([]byte, 32)
		rand.Read(b)
		cases = append(cases, b)
		if i%4 == 0 { // a valid point, maybe with the sign bit flipped
			s := edwards25519.NewScalar()
			seed := make([]byte, 64)
			rand.Read(seed)
			s.SetUniformBytes(seed)
			p := new(edwards25519.Point).ScalarBaseMult(s).Bytes()
			cases = append(cases, p)
			q := append([]byte(nil), p...)
			q[31] ^= 0x80
			cases = append(cases, q)
		}
	}
	for _, b := range cases {
		if got, want := usablePublicKey(b), usableByReencoding(b); got != want {
			t.Fatalf("usablePublicKey(%x) = %v, by re-encoding %v", b, got, want)
		}
	}
}

func BenchmarkUsablePublicKey(b *testing.B) {
	key := edwards25519.NewGeneratorPoint().Bytes()
	for b.Loop() {
		usablePublicKey(key)
	}
}

func BenchmarkUsableByReencoding(b *testing.B) {
	key := edwards25519.NewGeneratorPoint().Bytes()
	for b.Loop() {
		usableByReencoding(key)
	}
}
