package olm

import (
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
)

// Olm's authenticated encryption (docs/olm.md §5): each 32-byte message key is
// expanded with HKDF into an AES-256 key, an HMAC key and a CBC IV. The MAC
// covers the whole encoded message (version byte, ratchet key, chain index,
// ciphertext) and is truncated to 8 bytes. The IV is derived rather than
// random, which is safe only because every message key is used once.

type messageCipherKeys struct {
	aes, mac, iv []byte
}

func deriveMessageCipherKeys(messageKey []byte) messageCipherKeys {
	k := hkdfSHA256(zeroSalt[:], messageKey, "OLM_KEYS", 80)
	return messageCipherKeys{aes: k[:32], mac: k[32:64], iv: k[64:80]}
}

// encryptNormalMessage encrypts plaintext under a message key and returns the
// complete encoded normal message, MAC included.
func encryptNormalMessage(messageKey []byte, ratchetKey []byte, chainIndex uint32, plaintext []byte) ([]byte, error) {
	k := deriveMessageCipherKeys(messageKey)
	ct, err := aes256.EncryptCBC(k.aes, k.iv, plaintext)
	if err != nil {
		return nil, errcode.Context(err, "encrypting an Olm message")
	}
	msg := encodeNormalMessage(ratchetKey, chainIndex, ct)
	return append(msg, hmacSHA256(k.mac, msg)[:macSize]...), nil
}

// decryptNormalMessage checks the MAC in constant time and only then
// decrypts (so a padding error can never serve as an oracle on forged data).
func decryptNormalMessage(messageKey []byte, m *normalMessage) ([]byte, error) {
	k := deriveMessageCipherKeys(messageKey)
	want := hmacSHA256(k.mac, m.authenticated)[:macSize]
	if subtle.ConstantTimeCompare(want, m.mac) != 1 {
		return nil, errcode.New(errcode.BadMAC, "Olm message MAC mismatch: the message was altered, or it belongs to another session")
	}
	pt, err := aes256.DecryptCBC(k.aes, k.iv, m.ciphertext)
	if err != nil {
		return nil, errcode.Context(err, "Olm message")
	}
	return pt, nil
}
