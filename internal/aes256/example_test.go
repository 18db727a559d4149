package aes256_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
)

// AES-256-CBC with PKCS#7 padding, on a constant-time block cipher.
func Example() {
	key, iv := make([]byte, 32), make([]byte, 16)
	ct, err := aes256.EncryptCBC(key, iv, []byte("sixteen bytes!!!"))
	if err != nil {
		panic(err)
	}
	pt, err := aes256.DecryptCBC(key, iv, ct)
	fmt.Println(len(ct), string(pt), err) // a full block of padding is added
	ct[len(ct)-1] ^= 1
	_, err = aes256.DecryptCBC(key, iv, ct)
	fmt.Println(errcode.Of(err))
	// Output:
	// 32 sixteen bytes!!! <nil>
	// BAD_MESSAGE
}
