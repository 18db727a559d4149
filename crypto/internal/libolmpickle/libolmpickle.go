// Package libolmpickle reads and writes libolm's pickle envelope and its
// primitive encodings, for importing (and exporting) libolm Account, Session
// and Megolm session state.
//
// Envelope: HKDF-SHA-256(salt zeros, IKM = pickle key, info "Pickle") gives
// AES key, MAC key and IV; the raw pickle is AES-256-CBC encrypted and the
// output is base64(ciphertext || HMAC-SHA-256(MAC key, ciphertext)[:8]).
// The IV comes from the key, so equal keys and contents give equal pickles;
// that is libolm's design, and why mxcrypto's own pickles use package sealed.
package libolmpickle

import (
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

const macSize = 8

// Decrypt opens a libolm pickle. A MAC mismatch is WrongKey; anything
// malformed is BadPickle.
func Decrypt(pickleKey []byte, pickle string) ([]byte, error) {
	data, err := b64.Decode(pickle)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadPickle, err, "libolm pickle is not base64")
	}
	if len(data) < aes256.BlockSize+macSize {
		return nil, errcode.New(errcode.BadPickle, "libolm pickle is truncated")
	}
	ct, mac := data[:len(data)-macSize], data[len(data)-macSize:]
	aesKey, macKey, iv := keys(pickleKey)
	if subtle.ConstantTimeCompare(mac, sum(macKey, ct)[:macSize]) != 1 {
		return nil, errcode.New(errcode.WrongKey, "libolm pickle MAC mismatch: wrong pickle key, or the pickle was altered")
	}
	raw, err := aes256.DecryptCBC(aesKey, iv, ct)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadPickle, err, "libolm pickle does not decrypt")
	}
	return raw, nil
}

// Encrypt makes a libolm pickle of a raw pickle.
func Encrypt(pickleKey []byte, raw []byte) (string, error) {
	aesKey, macKey, iv := keys(pickleKey)
	ct, err := aes256.EncryptCBC(aesKey, iv, raw)
	if err != nil {
		return "", err
	}
	return b64.Encode(append(ct, sum(macKey, ct)[:macSize]...)), nil
}

func keys(pickleKey []byte) (aesKey, macKey, iv []byte) {
	var salt [32]byte
	out := hmacsha256.HKDF(pickleKey, salt[:], "Pickle", 80)
	return out[:32], out[32:64], out[64:80]
}

func sum(key, data []byte) []byte {
	return hmacsha256.Sum(key, data)
}
