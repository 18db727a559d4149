package pk_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
)

// libolm's PkEncryption: anyone with the public key encrypts; the private
// key decrypts. (Key backup is this construction.)
func Example() {
	private := pk.GenerateKey()
	public, err := pk.PublicKey(private)
	if err != nil {
		panic(err)
	}
	m, err := pk.Encrypt(public, []byte("This is a test"))
	if err != nil {
		panic(err)
	}
	plaintext, err := pk.Decrypt(private, m)
	fmt.Printf("%s %v; the MAC is %d base64 characters\n", plaintext, err, len(m.MAC))
	// Output: This is a test <nil>; the MAC is 11 base64 characters
}
