package b64_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Matrix writes base64 without padding and reads it with or without.
func Example() {
	fmt.Println(b64.Encode([]byte("foob")))
	a, _ := b64.Decode("Zm9vYg")
	b, _ := b64.Decode("Zm9vYg==")
	fmt.Println(string(a), string(b))
	// Output:
	// Zm9vYg
	// foob foob
}
