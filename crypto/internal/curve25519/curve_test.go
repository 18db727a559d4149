package curve25519

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
)

func TestSelfTest(t *testing.T) {
	if !Ready() {
		t.Fatal("self-test failed")
	}
}

func TestMatchesStdlib(t *testing.T) {
	for i := 0; i < 300; i++ {
		a, b := make([]byte, 32), make([]byte, 32)
		rand.Read(a)
		rand.Read(b)
		if i%3 == 0 {
			b[31] |= 0x80
		}
		compareX25519(t, a, b)
		seed := a
		std := ed25519.NewKeyFromSeed(seed)
		if got := publicFromSeed(seed); !bytes.Equal(got[:], std.Public().(ed25519.PublicKey)) {
			t.Fatal("Ed25519 public key differs")
		}
	}
}

func compareX25519(t *testing.T, a, b []byte) {
	t.Helper()
	ka, _ := ecdh.X25519().NewPrivateKey(a)
	if got := X25519Base(a); !bytes.Equal(got[:], ka.PublicKey().Bytes()) {
		t.Fatalf("X25519Base(%x) differs", a)
	}
	var nine [32]byte
	nine[0] = 9
	if got := X25519(a, nine[:]); !bytes.Equal(got[:], ka.PublicKey().Bytes()) {
		t.Fatalf("X25519(%x, 9) differs", a)
	}
	peer, _ := ecdh.X25519().NewPublicKey(b)
	want, err := ka.ECDH(peer)
	got := X25519(a, b)
	if err != nil {
		want = make([]byte, 32) // crypto/ecdh refuses the all-zero output
	}
	if !bytes.Equal(got[:], want) {
		t.Fatalf("X25519(%x, %x) = %x, want %x", a, b, got, want)
	}
}

// FuzzX25519 compares the ladder and the fixed-base path with crypto/ecdh.
func FuzzX25519(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32))
	f.Add(bytes.Repeat([]byte{0x01}, 32), append([]byte{0xec}, bytes.Repeat([]byte{0xff}, 30)...))
	// Points of small order (RFC 7748 §7 and libsodium's blocklist).
	for _, h := range []string{
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		f.Add(bytes.Repeat([]byte{0x42}, 32), unhex(h))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a) != 32 || len(b) != 32 {
			return
		}
		compareX25519(t, a, b)
	})
}

func BenchmarkX25519(b *testing.B) {
	k, p := make([]byte, 32), make([]byte, 32)
	rand.Read(k)
	rand.Read(p)
	for b.Loop() {
		X25519(k, p)
	}
}

func BenchmarkX25519Base(b *testing.B) {
	k := make([]byte, 32)
	rand.Read(k)
	X25519Base(k)
	for b.Loop() {
		X25519Base(k)
	}
}
