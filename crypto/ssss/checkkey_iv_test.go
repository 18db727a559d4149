package ssss_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/ssss"
)

// A key description whose IV has bit 63 set (the spec only asks writers to
// clear it; the check must use the stored IV as it is, as matrix-js-sdk,
// matrix-rust-sdk and mautrix-go do). The MAC is computed here independently
// of package ssss.
func TestCheckKeyUsesStoredIVAsIs(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	iv := []byte{0, 1, 2, 3, 4, 5, 6, 7, 0x80, 9, 10, 11, 12, 13, 14, 15}
	var salt [32]byte
	okm, _ := hkdf.Key(sha256.New, key, salt[:], "", 64)
	block, _ := aes.NewCipher(okm[:32])
	ct := make([]byte, 32)
	cipher.NewCTR(block, iv).XORKeyStream(ct, ct)
	h := hmac.New(sha256.New, okm[32:])
	h.Write(ct)
	info := ssss.KeyInfo{
		Algorithm: ssss.AlgorithmAESHMAC,
		IV:        base64.RawStdEncoding.EncodeToString(iv),
		MAC:       base64.RawStdEncoding.EncodeToString(h.Sum(nil)),
	}
	ok, err := ssss.CheckKey(key, info)
	if err != nil || !ok {
		t.Fatalf("CheckKey = %v, %v; want true", ok, err)
	}
}
