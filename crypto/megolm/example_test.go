package megolm_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A sender shares its session key (in an m.room_key, over Olm); each
// recipient decrypts room messages with it, and a ReplayGuard refuses a
// message index that comes back as another event.
func Example() {
	out := megolm.NewOutboundGroupSession()
	sessionKey, err := out.SessionKey()
	if err != nil {
		panic(err)
	}
	in, err := megolm.NewInboundGroupSession(sessionKey)
	if err != nil {
		panic(err)
	}

	ciphertext, _ := out.Encrypt([]byte(`{"type":"m.room.message","content":{"body":"hi"},"room_id":"!r:example.org"}`))
	plaintext, index, err := in.Decrypt(ciphertext)
	fmt.Printf("index %d: %s %v\n", index, plaintext, err)

	guard := megolm.NewReplayGuard()
	fmt.Println(guard.Check(in.SessionID(), index, "$first"))
	fmt.Println(guard.Check(in.SessionID(), index, "$first")) // the same event again
	fmt.Println(errcode.Of(guard.Check(in.SessionID(), index, "$other")))
	// Output:
	// index 0: {"type":"m.room.message","content":{"body":"hi"},"room_id":"!r:example.org"} <nil>
	// <nil>
	// <nil>
	// REPLAYED_MESSAGE
}
