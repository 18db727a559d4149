package curve25519

import (
	"crypto/sha512"
	"encoding/hex"
	"sync"
)

var (
	selfTestOnce sync.Once
	selfTestOK   bool
)

// Ready runs the known-answer self-tests once and reports whether they
// passed. Callers use this package only when it is true and fall back to
// their reference implementation otherwise, so a miscompiled or broken
// build computes slower, never wrong.
func Ready() bool {
	selfTestOnce.Do(func() { selfTestOK = selfTest() })
	return selfTestOK
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func selfTest() bool {
	// RFC 7748 §6.1.
	alice := unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	alicePub := unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	bobPub := unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	shared := unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
	base := [32]byte{9}
	if got := X25519Base(alice); string(got[:]) != string(alicePub) {
		return false
	}
	if got := X25519(alice, base[:]); string(got[:]) != string(alicePub) {
		return false
	}
	if got := X25519(alice, bobPub); string(got[:]) != string(shared) {
		return false
	}
	// RFC 8032 §7.1 test 1: the public key of a seed.
	h := sha512.Sum512(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	var a [32]byte
	copy(a[:], h[:32])
	a[0] &= 248
	a[31] &= 63
	a[31] |= 64
	pub := ScalarBaseMult(&a).Bytes()
	return string(pub[:]) == string(unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
}
