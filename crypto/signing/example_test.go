package signing_test

import (
	"encoding/base64"
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
)

// Sign a JSON object as Matrix does (canonical JSON without signatures and
// unsigned) and verify it; any change to the object breaks the signature.
func Example() {
	seed := make([]byte, 32)
	copy(seed, "an example Ed25519 seed, 32 byte")
	key, err := ed25519x.FromSeed(seed)
	if err != nil {
		panic(err)
	}
	obj, err := signing.ParseObject([]byte(`{"algorithm":"m.megolm_backup.v1.curve25519-aes-sha2","note":"any JSON object"}`))
	if err != nil {
		panic(err)
	}
	if _, err := signing.Sign(obj, "@alice:example.org", "ed25519:DEVICE", key); err != nil {
		panic(err)
	}
	public := base64.RawStdEncoding.EncodeToString(key.Public())
	ok, err := signing.Verify(obj, "@alice:example.org", "ed25519:DEVICE", public)
	fmt.Println(ok, err)
	obj["note"] = "something else"
	ok, _ = signing.Verify(obj, "@alice:example.org", "ed25519:DEVICE", public)
	fmt.Println(ok)
	// Output:
	// true <nil>
	// false
}
