package ed25519x

import "testing"

// The fast (curve25519) and reference (filippo.io/edwards25519) paths side
// by side; under wasm the fast one is what runs.
func benchPaths(b *testing.B, run func(b *testing.B, fast bool)) {
	b.Run("curve25519", func(b *testing.B) { run(b, true) })
	b.Run("edwards25519", func(b *testing.B) { run(b, false) })
}

func BenchmarkSign(b *testing.B) {
	k := Generate()
	expanded, pub, msg := k.Expanded(), k.Public(), make([]byte, 200)
	benchPaths(b, func(b *testing.B, fast bool) {
		for b.Loop() {
			sign(fast, expanded, pub, msg)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k := Generate()
	msg := make([]byte, 200)
	sig := k.Sign(msg)
	benchPaths(b, func(b *testing.B, fast bool) {
		for b.Loop() {
			verify(fast, k.public, msg, sig)
		}
	})
}

func BenchmarkPublic(b *testing.B) {
	expanded := Generate().Expanded()
	benchPaths(b, func(b *testing.B, fast bool) {
		for b.Loop() {
			publicWith(fast, expanded)
		}
	})
}
