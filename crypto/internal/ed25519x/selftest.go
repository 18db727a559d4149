package ed25519x

import (
	"encoding/hex"
	"sync"

	"github.com/mxcrypto/mxcrypto/crypto/internal/curve25519"
)

var (
	fastOnce sync.Once
	fastOK   bool
)

// fastReady runs, once, curve25519's self-test and RFC 8032 §7.1 test 2
// through this package's fast paths: public key, signature, and
// verification accepting it and refusing it altered.
func fastReady() bool {
	fastOnce.Do(func() {
		fastOK = curve25519.Ready() && fastSelfTest()
	})
	return fastOK
}

func fastSelfTest() bool {
	seed, _ := hex.DecodeString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
	wantPub, _ := hex.DecodeString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
	wantSig, _ := hex.DecodeString("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
	msg := []byte{0x72}
	k := &PrivateKey{seed: seed}
	expanded := k.Expanded()
	pub := publicWith(true, expanded)
	if string(pub) != string(wantPub) {
		return false
	}
	sig := sign(true, expanded, pub, msg)
	if string(sig) != string(wantSig) || !verify(true, pub, msg, sig) {
		return false
	}
	sig[0] ^= 1
	return !verify(true, pub, msg, sig)
}
