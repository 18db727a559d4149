// Package ssss is Secure Secret Storage (MSC1946, MSC2472): secrets kept in
// account data, encrypted with a 32-byte key the user holds as a recovery key
// or a passphrase.
package ssss

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// AlgorithmAESHMAC is the current algorithm: HKDF → AES-256-CTR → HMAC-SHA-256.
const AlgorithmAESHMAC = "m.secret_storage.v1.aes-hmac-sha2"

const KeySize = 32

// Encrypted is one secret encrypted with one key: {"iv","ciphertext","mac"}.
type Encrypted struct {
	IV         string `json:"iv"`
	Ciphertext string `json:"ciphertext"`
	MAC        string `json:"mac"`
}

// Encrypt encrypts secret under key, bound to the secret's name (the account
// data type, e.g. "m.cross_signing.master").
func Encrypt(key []byte, name string, secret []byte) (Encrypted, error) {
	return encryptWithIV(key, name, secret, NewIV())
}

// NewIV returns a random IV with bit 63 clear: a 64-bit counter (WebCrypto's
// length: 64, as matrix-js-sdk uses) can then never wrap into the high half,
// so every CTR implementation produces the same stream.
func NewIV() []byte {
	iv := make([]byte, 16)
	rand.Read(iv)
	iv[8] &= 0x7f
	return iv
}

func encryptWithIV(key []byte, name string, secret, iv []byte) (Encrypted, error) {
	aesKey, macKey, err := deriveKeys(key, name)
	if err != nil {
		return Encrypted{}, err
	}
	// The IV is used as given: a stored key check must be recomputed with
	// the stored IV unchanged. New IVs come from NewIV.
	ct, err := aes256.XORKeyStreamCTR(aesKey, iv, secret)
	if err != nil {
		return Encrypted{}, err
	}
	return Encrypted{IV: b64.Encode(iv), Ciphertext: b64.Encode(ct), MAC: b64.Encode(mac(macKey, ct))}, nil
}

// Decrypt checks the MAC (constant time) and decrypts. A different key or
// name, or any change to the ciphertext, is BadMAC.
func Decrypt(key []byte, name string, e Encrypted) ([]byte, error) {
	aesKey, macKey, err := deriveKeys(key, name)
	if err != nil {
		return nil, err
	}
	iv, ct, gotMAC, err := e.decode()
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(gotMAC, mac(macKey, ct)) != 1 {
		return nil, errcode.New(errcode.BadMAC, "MAC mismatch: wrong key, wrong secret name, or the data was altered")
	}
	return aes256.XORKeyStreamCTR(aesKey, iv, ct)
}

// decode parses the three fields. Padded base64 is accepted (Element wrote
// it). IVs longer than 16 bytes are cut to 16, as mautrix-go does for the
// 32-byte IVs nheko once wrote.
func (e Encrypted) decode() (iv, ct, mac []byte, err error) {
	if iv, err = b64.Decode(e.IV); err != nil {
		return nil, nil, nil, errcode.Context(err, "iv")
	}
	if len(iv) < 16 {
		return nil, nil, nil, errcode.New(errcode.BadInput, "iv: must be 16 bytes, got %d", len(iv))
	}
	if ct, err = b64.Decode(e.Ciphertext); err != nil {
		return nil, nil, nil, errcode.Context(err, "ciphertext")
	}
	if mac, err = b64.Decode(e.MAC); err != nil {
		return nil, nil, nil, errcode.Context(err, "mac")
	}
	if len(mac) != sha256.Size {
		return nil, nil, nil, errcode.New(errcode.BadInput, "mac: must be 32 bytes, got %d", len(mac))
	}
	return iv[:16], ct, mac, nil
}

func deriveKeys(key []byte, name string) (aesKey, macKey []byte, err error) {
	if len(key) != KeySize {
		return nil, nil, errcode.New(errcode.BadInput, "secret storage key must be %d bytes, got %d", KeySize, len(key))
	}
	var salt [32]byte
	out := hmacsha256.HKDF(key, salt[:], name, 64)
	return out[:32], out[32:], nil
}

func mac(key, data []byte) []byte {
	return hmacsha256.Sum(key, data)
}
