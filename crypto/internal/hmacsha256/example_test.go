package hmacsha256_test

import (
	"encoding/hex"
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
)

// HKDF-SHA-256 with Matrix's zero salt, as Olm derives its message keys.
func Example() {
	keys := hmacsha256.HKDF(make([]byte, 32), make([]byte, 32), "OLM_KEYS", 80)
	aesKey, macKey, iv := keys[:32], keys[32:64], keys[64:]
	fmt.Println(len(aesKey), len(macKey), len(iv))
	fmt.Println(hex.EncodeToString(hmacsha256.Sum([]byte("key"), nil)) == hex.EncodeToString(hmacsha256.GoSum([]byte("key"), nil)))
	// Output:
	// 32 32 16
	// true
}
