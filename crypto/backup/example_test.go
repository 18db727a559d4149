package backup_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A room key goes into the backup encrypted to the backup's public key (from
// auth_data); only the holder of the private key reads it back.
func Example() {
	private := pk.GenerateKey()
	public, err := backup.PublicKey(private) // auth_data.public_key
	if err != nil {
		panic(err)
	}
	sessionData := []byte(`{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"…","sender_claimed_keys":{},"forwarding_curve25519_key_chain":[],"session_key":"…"}`)
	encrypted, err := backup.Encrypt(public, sessionData) // the session_data of PUT /room_keys/keys
	if err != nil {
		panic(err)
	}
	plain, err := backup.Decrypt(private, encrypted)
	fmt.Println(string(plain) == string(sessionData), err)

	_, err = backup.Decrypt(pk.GenerateKey(), encrypted)
	fmt.Println(errcode.Of(err))
	// Output:
	// true <nil>
	// WRONG_KEY
}
