package libolmpickle_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// libolm's pickle envelope: any pickle key; the same key and content always
// give the same text (docs/compat-flaws.md §3).
func Example() {
	a, _ := libolmpickle.Encrypt([]byte("secret_key"), []byte{0, 0, 0, 1})
	b, _ := libolmpickle.Encrypt([]byte("secret_key"), []byte{0, 0, 0, 1})
	fmt.Println(a == b)
	raw, err := libolmpickle.Decrypt([]byte("secret_key"), a)
	fmt.Println(raw, err)
	_, err = libolmpickle.Decrypt([]byte("other"), a)
	fmt.Println(errcode.Of(err))
	// Output:
	// true
	// [0 0 0 1] <nil>
	// WRONG_KEY
}
