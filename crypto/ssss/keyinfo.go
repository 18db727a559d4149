package ssss

import (
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// KeyInfo is the content of m.secret_storage.key.<id> account data, for
// either algorithm. Unknown fields are dropped on purpose: we only ever read
// a key description, we never write one back.
type KeyInfo struct {
	Algorithm  string          `json:"algorithm"`
	Name       string          `json:"name,omitempty"`
	Passphrase *PassphraseInfo `json:"passphrase,omitempty"`
	// aes-hmac-sha2 key check; both optional (absent means unverifiable).
	IV  string `json:"iv,omitempty"`
	MAC string `json:"mac,omitempty"`
	// curve25519-aes-sha2 public key.
	PubKey string `json:"pubkey,omitempty"`
}

// PassphraseInfo is the m.pbkdf2 block of a key description.
type PassphraseInfo struct {
	Algorithm  string `json:"algorithm"`
	Salt       string `json:"salt"`
	Iterations int    `json:"iterations"`
	Bits       int    `json:"bits,omitempty"`
}

// KeyBits returns the key length to derive, defaulting to 256.
func (p *PassphraseInfo) KeyBits() int {
	if p.Bits == 0 {
		return passphrase.DefaultBits
	}
	return p.Bits
}

// NewKeyInfo describes key for the aes-hmac-sha2 algorithm, with a fresh key
// check. pass, when not nil, records how the key was derived.
func NewKeyInfo(key []byte, name string, pass *PassphraseInfo) (KeyInfo, error) {
	check, err := encryptWithIV(key, "", make([]byte, 32), NewIV())
	if err != nil {
		return KeyInfo{}, err
	}
	return KeyInfo{Algorithm: AlgorithmAESHMAC, Name: name, Passphrase: pass, IV: check.IV, MAC: check.MAC}, nil
}

// NewKeyID returns a random key id of 32 alphanumerics, as matrix-js-sdk and
// matrix-rust-sdk make.
func NewKeyID() string { return passphrase.RandomString(32) }

// CheckKey reports whether key is the key the description was made for.
// aes-hmac-sha2: recompute the MAC of 32 zero bytes under the empty name;
// a description without iv/mac cannot be checked and is assumed to match.
// curve25519-aes-sha2: compare the derived public key.
func CheckKey(key []byte, info KeyInfo) (bool, error) {
	if len(key) != KeySize {
		return false, errcode.New(errcode.BadInput, "secret storage key must be %d bytes, got %d", KeySize, len(key))
	}
	switch info.Algorithm {
	case AlgorithmAESHMAC:
		if info.IV == "" && info.MAC == "" {
			return true, nil
		}
		e := Encrypted{IV: info.IV, MAC: info.MAC}
		iv, _, want, err := e.decode()
		if err != nil {
			return false, errcode.Context(err, "key description")
		}
		got, err := encryptWithIV(key, "", make([]byte, 32), iv)
		if err != nil {
			return false, err
		}
		gotMAC, _ := b64.Decode(got.MAC)
		return subtle.ConstantTimeCompare(gotMAC, want) == 1, nil
	case AlgorithmCurve25519:
		want, err := b64.DecodeLen(info.PubKey, pk.KeySize, "key description pubkey")
		if err != nil {
			return false, err
		}
		got, err := pk.PublicKey(key)
		if err != nil {
			return false, err
		}
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	default:
		return false, errcode.New(errcode.UnsupportedAlgorithm, "secret storage algorithm %q is not supported (supported: %s, %s)", info.Algorithm, AlgorithmAESHMAC, AlgorithmCurve25519)
	}
}
