package ed25519x

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

func TestExpandedSignsLikeSeed(t *testing.T) {
	for i := 0; i < 20; i++ {
		k := Generate()
		x, err := FromExpanded(k.Expanded())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Public(), k.Public()) {
			t.Fatal("public keys differ")
		}
		msg := []byte{byte(i), 1, 2, 3}
		sig := x.Sign(msg)
		if !bytes.Equal(sig, k.Sign(msg)) {
			t.Fatal("signatures differ")
		}
		if !Verify(k.Public(), msg, sig) || !ed25519.Verify(k.Public(), msg, sig) {
			t.Fatal("signature does not verify")
		}
		sig[5] ^= 1
		if Verify(k.Public(), msg, sig) {
			t.Fatal("bad signature verifies")
		}
		if x.Seed() != nil {
			t.Fatal("expanded key has no seed")
		}
	}
}

func TestVerifyRejectsSmallOrderKeys(t *testing.T) {
	identity := make([]byte, 32)
	identity[0] = 1 // the neutral element, small order
	if Verify(identity, []byte("m"), make([]byte, 64)) {
		t.Fatal("small-order key accepted")
	}
}

func TestMatchesCryptoEd25519(t *testing.T) {
	for i := 0; i < 100; i++ {
		seed := make([]byte, 32)
		seed[0] = byte(i)
		seed[31] = byte(i * 7)
		std := ed25519.NewKeyFromSeed(seed)
		k, err := FromSeed(seed)
		if err != nil || !bytes.Equal(k.Public(), std.Public().(ed25519.PublicKey)) {
			t.Fatal("public key differs")
		}
		msg := bytes.Repeat([]byte{byte(i)}, i)
		sig := k.Sign(msg)
		if !bytes.Equal(sig, ed25519.Sign(std, msg)) {
			t.Fatal("signature differs")
		}
		if !Verify(k.Public(), msg, sig) {
			t.Fatal("own signature rejected")
		}
		bad := append([]byte(nil), sig...)
		bad[63] |= 0xf0 // S no longer canonical
		if Verify(k.Public(), msg, bad) || ed25519.Verify(k.Public(), msg, bad) {
			t.Fatal("non-canonical S accepted")
		}
		if Verify(k.Public(), append(msg, 0), sig) {
			t.Fatal("signature over another message accepted")
		}
	}
}
