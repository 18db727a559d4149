package ed25519x_test

import (
	"bytes"
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
)

// A key imported from libolm exists only in expanded form; it signs exactly
// as the seed it came from.
func Example() {
	fromSeed := ed25519x.Generate()
	expanded, err := ed25519x.FromExpanded(fromSeed.Expanded())
	if err != nil {
		panic(err)
	}
	msg := []byte("signed JSON")
	sig := expanded.Sign(msg)
	fmt.Println(bytes.Equal(sig, fromSeed.Sign(msg)), ed25519x.Verify(fromSeed.Public(), msg, sig))
	fmt.Println("seed kept:", fromSeed.Seed() != nil, expanded.Seed() != nil)
	// Output:
	// true true
	// seed kept: true false
}
