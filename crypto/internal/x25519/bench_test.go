package x25519

import (
	"crypto/ecdh"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/curve25519"
)

func BenchmarkSharedSecret(b *testing.B) {
	priv, pub := GenerateKey()
	b.Run("curve25519", func(b *testing.B) {
		for b.Loop() {
			curve25519.X25519(priv, pub)
		}
	})
	b.Run("edwards25519-field", func(b *testing.B) {
		for b.Loop() {
			scalarMult(priv, pub)
		}
	})
	b.Run("crypto-ecdh", func(b *testing.B) {
		k, _ := ecdh.X25519().NewPrivateKey(priv)
		p, _ := ecdh.X25519().NewPublicKey(pub)
		for b.Loop() {
			k.ECDH(p)
		}
	})
}

func BenchmarkPublicKey(b *testing.B) {
	priv, _ := GenerateKey()
	b.Run("curve25519-fixed-base", func(b *testing.B) {
		for b.Loop() {
			curve25519.X25519Base(priv)
		}
	})
	b.Run("edwards25519-field-ladder", func(b *testing.B) {
		for b.Loop() {
			scalarMult(priv, basePoint[:])
		}
	})
}
