package x25519

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// RFC 7748 §6.1, also docs/vectors.md §1.1.
func TestRFC7748(t *testing.T) {
	alice := unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	bob := unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	alicePub, _ := PublicKey(alice)
	bobPub, _ := PublicKey(bob)
	if hex.EncodeToString(alicePub) != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" {
		t.Fatal("alice public")
	}
	if hex.EncodeToString(bobPub) != "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" {
		t.Fatal("bob public")
	}
	s1, _ := SharedSecret(alice, bobPub)
	s2, _ := SharedSecret(bob, alicePub)
	if hex.EncodeToString(s1) != "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" || !bytes.Equal(s1, s2) {
		t.Fatal("shared secret")
	}
}

// RFC 7748 §5.2: the function iterated 1,000 times.
func TestIterated(t *testing.T) {
	k := append([]byte{9}, make([]byte, 31)...)
	u := append([]byte{9}, make([]byte, 31)...)
	for i := 0; i < 1000; i++ {
		out := scalarMult(k, u)
		u, k = k, out[:]
	}
	if hex.EncodeToString(k) != "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51" {
		t.Fatalf("after 1000: %x", k)
	}
}

func TestMatchesCryptoECDH(t *testing.T) {
	for i := 0; i < 200; i++ {
		a := make([]byte, 32)
		b := make([]byte, 32)
		rand.Read(a)
		rand.Read(b)
		if i == 0 {
			b[31] |= 0x80 // top bit set in the point: ignored by both
		}
		ka, _ := ecdh.X25519().NewPrivateKey(a)
		pub, _ := PublicKey(a)
		if !bytes.Equal(pub, ka.PublicKey().Bytes()) {
			t.Fatal("public key differs")
		}
		peer, _ := ecdh.X25519().NewPublicKey(b)
		want, errWant := ka.ECDH(peer)
		got, err := SharedSecret(a, b)
		if (err == nil) != (errWant == nil) || !bytes.Equal(got, want) {
			t.Fatalf("shared secret differs: %x %v / %x %v", got, err, want, errWant)
		}
	}
}

func TestLowOrderPointRejected(t *testing.T) {
	priv, _ := GenerateKey()
	for _, p := range [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...)} {
		if _, err := SharedSecret(priv, p); errcode.Of(err) != errcode.BadInput {
			t.Fatalf("%x: %v", p, err)
		}
	}
	if _, err := SharedSecret(priv[:5], priv); errcode.Of(err) != errcode.BadInput {
		t.Fatal("short key accepted")
	}
}
