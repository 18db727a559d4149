package errcode_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Every failure carries a stable code; Context adds where it happened and
// keeps the code; an error without one is INTERNAL (a bug).
func Example() {
	err := errcode.Context(errcode.New(errcode.BadBase64, "not base64"), "ciphertext")
	fmt.Println(errcode.Of(err), "-", err)
	fmt.Println(errcode.Of(fmt.Errorf("plain error")))
	// Output:
	// BAD_BASE64 - ciphertext: not base64
	// INTERNAL
}
