package x25519

import (
	"crypto/ecdh"
	"testing"
)

func BenchmarkSharedSecret(b *testing.B) {
	priv, pub := GenerateKey()
	for b.Loop() {
		SharedSecret(priv, pub)
	}
}

func BenchmarkCryptoECDH(b *testing.B) {
	priv, pub := GenerateKey()
	k, _ := ecdh.X25519().NewPrivateKey(priv)
	p, _ := ecdh.X25519().NewPublicKey(pub)
	for b.Loop() {
		k.ECDH(p)
	}
}
