package ssss

import (
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// AlgorithmCurve25519 is the original MSC1946 algorithm, replaced by
// aes-hmac-sha2 in 2020. It is package pk's construction, MAC quirk included,
// and unlike aes-hmac-sha2 it does not bind the secret's name. Kept so old
// accounts can still be read.
const AlgorithmCurve25519 = "m.secret_storage.v1.curve25519-aes-sha2"

// EncryptCurve25519 encrypts a secret to a base64 Curve25519 public key.
func EncryptCurve25519(publicKey string, secret []byte) (pk.Message, error) {
	pub, err := b64.DecodeLen(publicKey, pk.KeySize, "public key")
	if err != nil {
		return pk.Message{}, err
	}
	return pk.Encrypt(pub, secret)
}

// DecryptCurve25519 decrypts with the 32-byte private key.
func DecryptCurve25519(privateKey []byte, m pk.Message) ([]byte, error) {
	return pk.Decrypt(privateKey, m)
}
