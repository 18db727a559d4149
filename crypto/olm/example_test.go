package olm_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
)

// Alice starts a session with one of Bob's one-time keys; Bob makes his side
// from her first (pre-key) message and answers on the same session.
func Example() {
	alice, bob := olm.NewAccount(), olm.NewAccount()
	if err := bob.GenerateOneTimeKeys(1); err != nil {
		panic(err)
	}
	var otk string
	for _, key := range bob.UnpublishedOneTimeKeys() {
		otk = key // what /keys/claim would return
	}
	bob.MarkKeysAsPublished()

	toBob, err := alice.NewOutboundSession(bob.Curve25519Key(), otk)
	if err != nil {
		panic(err)
	}
	first, _ := toBob.Encrypt([]byte("hello Bob"))

	toAlice, plaintext, err := bob.NewInboundSession(alice.Curve25519Key(), first)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (message type %d)\n", plaintext, first.Type)
	fmt.Println("same session id:", toAlice.ID() == toBob.ID())

	reply, _ := toAlice.Encrypt([]byte("hello Alice"))
	got, err := toBob.Decrypt(reply)
	fmt.Printf("%s (message type %d) %v\n", got, reply.Type, err)
	fmt.Println("one-time keys left:", bob.OneTimeKeyCount())
	// Output:
	// hello Bob (message type 0)
	// same session id: true
	// hello Alice (message type 1) <nil>
	// one-time keys left: 0
}
