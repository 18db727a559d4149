package passphrase_test

import (
	"bytes"
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// The key of an m.pbkdf2 passphrase block: PBKDF2-HMAC-SHA-512 over the
// salt string's bytes, as long as "bits" asks. A hostile iteration count is
// refused rather than run.
func Example() {
	salt := passphrase.NewSalt(32) // stored in the key description
	key, err := passphrase.DeriveKey("correct horse battery staple", salt, 1000, 256)
	if err != nil {
		panic(err)
	}
	again, _ := passphrase.DeriveKey("correct horse battery staple", salt, 1000, 256)
	fmt.Println(len(key), bytes.Equal(key, again))

	_, err = passphrase.DeriveKey("p", salt, passphrase.MaxIterations+1, 256)
	fmt.Println(errcode.Of(err))
	// Output:
	// 32 true
	// BAD_INPUT
}
