package recoverykey_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
)

// A 32-byte key as the text a user writes down, and back; whitespace in
// what the user types does not matter.
func Example() {
	key := make([]byte, 32)
	text, err := recoverykey.Encode(key)
	if err != nil {
		panic(err)
	}
	fmt.Println(text)
	back, err := recoverykey.Decode("  " + text + "\n")
	fmt.Println(len(back), err)
	// Output:
	// EsSz ygLv VP1b xF1C v7kE eBQx MxDP buG5 w25T L3b6 hfyG Kkrd
	// 32 <nil>
}
