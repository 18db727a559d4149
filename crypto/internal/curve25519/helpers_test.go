package curve25519

import "crypto/sha512"

func publicFromSeed(seed []byte) [32]byte {
	h := sha512.Sum512(seed)
	var a [32]byte
	copy(a[:], h[:32])
	a[0] &= 248
	a[31] &= 63
	a[31] |= 64
	return ScalarBaseMult(&a).Bytes()
}
