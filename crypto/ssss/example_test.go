package ssss_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A secret storage key, its key description (m.secret_storage.key.<id>) and
// a secret encrypted with it, bound to the secret's name.
func Example() {
	key := make([]byte, 32) // normally random, or from a passphrase or recovery key
	copy(key, "an example secret storage key!!!")
	info, err := ssss.NewKeyInfo(key, "my key", nil)
	if err != nil {
		panic(err)
	}
	ok, _ := ssss.CheckKey(key, info)
	fmt.Println("key matches its description:", ok)

	encrypted, err := ssss.Encrypt(key, "m.cross_signing.master", []byte("c2VjcmV0IHNlZWQ"))
	if err != nil {
		panic(err)
	}
	secret, err := ssss.Decrypt(key, "m.cross_signing.master", encrypted)
	fmt.Println(string(secret), err)
	_, err = ssss.Decrypt(key, "m.cross_signing.self_signing", encrypted)
	fmt.Println("under another name:", errcode.Of(err))
	// Output:
	// key matches its description: true
	// c2VjcmV0IHNlZWQ <nil>
	// under another name: BAD_MAC
}
