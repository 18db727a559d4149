package x25519

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// RFC 7748 §6.1 (docs/vectors.md §1.1, testdata/vectors/x25519.json).
func TestRFC7748(t *testing.T) {
	v := vectors.X25519(t)
	alice, bob := v.Keys["rfc7748_alice"], v.Keys["rfc7748_bob"]
	alicePub, _ := PublicKey(alice.Private)
	bobPub, _ := PublicKey(bob.Private)
	if !bytes.Equal(alicePub, alice.Public) {
		t.Fatal("alice public")
	}
	if !bytes.Equal(bobPub, bob.Public) {
		t.Fatal("bob public")
	}
	s1, _ := SharedSecret(alice.Private, bobPub)
	s2, _ := SharedSecret(bob.Private, alicePub)
	if !bytes.Equal(s1, v.Shared) || !bytes.Equal(s1, s2) {
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
