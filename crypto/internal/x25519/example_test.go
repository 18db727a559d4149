package x25519_test

import (
	"bytes"
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/internal/x25519"
)

// Both sides of a Diffie-Hellman get the same secret; a low-order public key
// (which would give an all-zero secret) is refused.
func Example() {
	aPriv, aPub := x25519.GenerateKey()
	bPriv, bPub := x25519.GenerateKey()
	s1, _ := x25519.SharedSecret(aPriv, bPub)
	s2, _ := x25519.SharedSecret(bPriv, aPub)
	fmt.Println(bytes.Equal(s1, s2), len(s1))
	_, err := x25519.SharedSecret(aPriv, make([]byte, 32))
	fmt.Println(err != nil)
	// Output:
	// true 32
	// true
}
