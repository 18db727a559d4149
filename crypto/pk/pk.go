// Package pk is libolm's PkEncryption/PkDecryption: X25519 to a recipient's
// public key, HKDF-SHA-256, AES-256-CBC. Key backup (m.megolm_backup.v1.
// curve25519-aes-sha2) and the old m.secret_storage.v1.curve25519-aes-sha2 are
// this construction.
//
// Compatibility flaw, kept on purpose: the MAC is HMAC-SHA-256 of the EMPTY
// string, not of the ciphertext, because libolm's olm_pk_encrypt passed a
// zero-length buffer and every client since has had to match it. The MAC
// therefore only proves the recipient key is right; it does not authenticate
// the ciphertext. See MacOf.
package pk

import (
	"crypto/rand"
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/crypto/internal/x25519"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

const (
	KeySize = 32
	macSize = 8
)

// Message is the wire form: three base64 strings.
type Message struct {
	Ciphertext string `json:"ciphertext"`
	Ephemeral  string `json:"ephemeral"`
	MAC        string `json:"mac"`
}

// PublicKey returns the X25519 public key of a 32-byte private key.
func PublicKey(private []byte) ([]byte, error) {
	if len(private) != KeySize {
		return nil, errcode.New(errcode.BadInput, "private key must be %d bytes, got %d", KeySize, len(private))
	}
	return x25519.PublicKey(private)
}

// GenerateKey returns a fresh private key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// Encrypt encrypts plaintext to the recipient's public key with a fresh
// ephemeral key.
func Encrypt(recipientPublic, plaintext []byte) (Message, error) {
	return EncryptWithEphemeral(recipientPublic, GenerateKey(), plaintext)
}

// EncryptWithEphemeral is Encrypt with a caller-chosen ephemeral private key;
// only tests and known-answer vectors should choose it.
func EncryptWithEphemeral(recipientPublic, ephemeralPrivate, plaintext []byte) (Message, error) {
	if len(recipientPublic) != KeySize {
		return Message{}, errcode.New(errcode.BadInput, "public key must be 32 bytes, got %d", len(recipientPublic))
	}
	ephemeralPublic, err := PublicKey(ephemeralPrivate)
	if err != nil {
		return Message{}, err
	}
	shared, err := x25519.SharedSecret(ephemeralPrivate, recipientPublic)
	if err != nil {
		return Message{}, err
	}
	return EncryptShared(shared, ephemeralPublic, plaintext)
}

// EncryptShared finishes an encryption whose X25519 step (a fresh ephemeral
// key pair and its shared secret with the recipient) was done elsewhere: the
// JS loader uses WebCrypto for it.
func EncryptShared(shared, ephemeralPublic, plaintext []byte) (Message, error) {
	if len(shared) != KeySize || len(ephemeralPublic) != KeySize {
		return Message{}, errcode.New(errcode.BadInput, "shared secret and ephemeral key must be %d bytes", KeySize)
	}
	k := deriveKeys(shared)
	ct, err := aes256.EncryptCBC(k.aes, k.iv, plaintext)
	if err != nil {
		return Message{}, err
	}
	return Message{
		Ciphertext: b64.Encode(ct),
		Ephemeral:  b64.Encode(ephemeralPublic),
		MAC:        b64.Encode(MacOf(k.mac)),
	}, nil
}

// Decrypt decrypts a message with the recipient's private key.
func Decrypt(private []byte, m Message) ([]byte, error) {
	if len(private) != KeySize {
		return nil, errcode.New(errcode.BadInput, "private key must be %d bytes, got %d", KeySize, len(private))
	}
	ephemeral, err := b64.DecodeLen(m.Ephemeral, KeySize, "ephemeral")
	if err != nil {
		return nil, err
	}
	shared, err := x25519.SharedSecret(private, ephemeral)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "ephemeral key is a low-order point")
	}
	return DecryptShared(shared, m)
}

// DecryptShared finishes a decryption whose X25519 step was done elsewhere
// (the JS loader uses WebCrypto for it in bulk restores).
func DecryptShared(shared []byte, m Message) ([]byte, error) {
	mac, err := b64.Decode(m.MAC)
	if err != nil {
		return nil, errcode.Context(err, "mac")
	}
	ct, err := b64.Decode(m.Ciphertext)
	if err != nil {
		return nil, errcode.Context(err, "ciphertext")
	}
	return DecryptRaw(shared, mac, ct)
}

// DecryptRaw is DecryptShared on already-decoded fields.
func DecryptRaw(shared, mac, ciphertext []byte) ([]byte, error) {
	if len(mac) != macSize {
		return nil, errcode.New(errcode.BadInput, "mac: must be %d bytes, got %d", macSize, len(mac))
	}
	k := deriveKeys(shared)
	if subtle.ConstantTimeCompare(mac, MacOf(k.mac)) != 1 {
		return nil, errcode.New(errcode.WrongKey, "MAC mismatch: this was encrypted to a different key (or its mac field is damaged)")
	}
	return aes256.DecryptCBC(k.aes, k.iv, ciphertext)
}

// MacOf is the libolm-compatible MAC: HMAC-SHA-256 over the empty string,
// truncated to 8 bytes. Not a MAC of the ciphertext; see the package comment.
func MacOf(macKey []byte) []byte {
	return hmacsha256.Sum(macKey, nil)[:macSize]
}

type keys struct{ aes, mac, iv []byte }

func deriveKeys(shared []byte) keys {
	var salt [32]byte
	out := hmacsha256.HKDF(shared, salt[:], "", 80)
	return keys{aes: out[:32], mac: out[32:64], iv: out[64:80]}
}
