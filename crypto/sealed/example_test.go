package sealed_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A value sealed under a key and a label opens only with both.
func Example() {
	key := make([]byte, sealed.KeySize)
	box, err := sealed.Seal(key, "example.note", []byte("kept at rest"))
	if err != nil {
		panic(err)
	}
	plain, err := sealed.Open(key, "example.note", box)
	fmt.Println(string(plain), err, len(box)-len(plain) == sealed.Overhead)
	_, err = sealed.Open(key, "example.other", box)
	fmt.Println(errcode.Of(err))
	// Output:
	// kept at rest <nil> true
	// WRONG_KEY
}
