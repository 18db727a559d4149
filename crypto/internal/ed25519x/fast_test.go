package ed25519x

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"testing"
)

// The fast paths are only selected under wasm; these tests call them
// directly so that native runs check them too.

func TestFastSelfTest(t *testing.T) {
	if !fastSelfTest() || !fastReady() {
		t.Fatal("fast path known-answer test failed")
	}
}

// RFC 8032 §7.1 tests 1 and 3 (test 2 is the self-test).
func TestRFC8032Vectors(t *testing.T) {
	for _, v := range []struct{ seed, pub, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
			"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
			"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
			"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
	} {
		seed, _ := hex.DecodeString(v.seed)
		msg, _ := hex.DecodeString(v.msg)
		k := &PrivateKey{seed: seed}
		for _, fast := range []bool{false, true} {
			pub := publicWith(fast, k.Expanded())
			sig := sign(fast, k.Expanded(), pub, msg)
			if hex.EncodeToString(pub) != v.pub || hex.EncodeToString(sig) != v.sig || !verify(fast, pub, msg, sig) {
				t.Fatalf("fast=%v: vector for %s", fast, v.pub)
			}
		}
	}
}

// checkEd25519 compares the fast paths with crypto/ed25519 (keys,
// signatures) and with the filippo.io/edwards25519 path (verification of
// arbitrary input, where policies beyond RFC 8032 apply: canonical and not
// small-order public keys).
func checkEd25519(t *testing.T, seed, msg, other []byte) {
	t.Helper()
	std := ed25519.NewKeyFromSeed(seed)
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 63
	h[31] |= 64
	pub := publicWith(true, h[:])
	if !bytes.Equal(pub, std.Public().(ed25519.PublicKey)) {
		t.Fatal("public key differs from crypto/ed25519")
	}
	sig := sign(true, h[:], pub, msg)
	if !bytes.Equal(sig, ed25519.Sign(std, msg)) {
		t.Fatal("signature differs from crypto/ed25519")
	}
	if !verify(true, pub, msg, sig) {
		t.Fatal("own signature refused")
	}
	// Altered signatures, keys and messages: same verdict as the reference.
	cases := [][3][]byte{{pub, append(msg, 1), sig}}
	for i := 0; i+1 < len(other) && i < 64; i += 2 {
		s := append([]byte(nil), sig...)
		s[int(other[i])%64] ^= other[i+1] | 1
		cases = append(cases, [3][]byte{pub, msg, s})
	}
	if len(other) >= 32 {
		cases = append(cases, [3][]byte{other[:32], msg, sig})
	}
	if len(other) >= 96 {
		cases = append(cases, [3][]byte{other[:32], msg, other[32:96]})
	}
	for _, c := range cases {
		if got, want := verify(true, c[0], c[1], c[2]), verify(false, c[0], c[1], c[2]); got != want {
			t.Fatalf("verify(%x, %x) = %v, reference %v", c[0], c[2], got, want)
		}
	}
}

func TestFastMatchesReference(t *testing.T) {
	for i := 0; i < 100; i++ {
		seed := bytes.Repeat([]byte{byte(i), byte(i * 7)}, 16)
		other := bytes.Repeat([]byte{byte(i * 13), byte(i*5 + 1), 0xff}, 40)
		checkEd25519(t, seed, bytes.Repeat([]byte{byte(i)}, i), other)
	}
	// Small-order and non-canonical public keys.
	for _, k := range []string{
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"0000000000000000000000000000000000000000000000000000000000000080",
	} {
		pub, _ := hex.DecodeString(k)
		sig := make([]byte, 64)
		copy(sig, pub)
		if verify(true, pub, nil, sig) || verify(false, pub, nil, sig) {
			t.Fatalf("%s accepted", k)
		}
	}
}

// FuzzEd25519: keys and signatures against crypto/ed25519, verification
// of altered and arbitrary input against the reference path.
func FuzzEd25519(f *testing.F) {
	f.Add(make([]byte, 32), []byte("m"), make([]byte, 96))
	f.Add(bytes.Repeat([]byte{0xff}, 32), []byte{}, bytes.Repeat([]byte{0xff}, 96))
	f.Fuzz(func(t *testing.T, seed, msg, other []byte) {
		if len(seed) != 32 {
			return
		}
		checkEd25519(t, seed, msg, other)
	})
}
