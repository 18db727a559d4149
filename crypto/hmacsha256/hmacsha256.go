// Package hmacsha256 is HMAC-SHA-256 and HKDF-SHA-256 (RFC 2104, RFC 5869),
// the MAC and key derivation of every Matrix format. MACs over long
// messages are computed by a native host when there is one (see
// crypto/accel): compiled to wasm, Go's SHA-256 takes about 2 µs per
// 64-byte block.
package hmacsha256

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"

	"github.com/mxcrypto/mxcrypto/crypto/accel"
)

const Size = 32

// hostMinLen is where a host call starts to pay: below it, crossing to
// the host and setting up its HMAC cost more than hashing in Go.
const hostMinLen = 256

// Sum is HMAC-SHA-256 of msg under key.
func Sum(key, msg []byte) []byte {
	if h := accel.Current(); h != nil && len(msg) >= hostMinLen {
		if sum, ok := h.HMACSHA256(key, msg); ok {
			return sum[:]
		}
	}
	return GoSum(key, msg)
}

// HKDF returns n bytes of HKDF-SHA-256. Matrix asks for at most 80, far
// below HKDF's limit of 255*32, so this cannot fail. Always Go: Node's
// hkdfSync costs more than the dozen blocks Matrix derives.
func HKDF(ikm, salt []byte, info string, n int) []byte {
	return GoHKDF(ikm, salt, info, n)
}

// GoSum is Sum computed in Go, whatever the host.
func GoSum(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// GoHKDF is HKDF computed in Go.
func GoHKDF(ikm, salt []byte, info string, n int) []byte {
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		panic("hmacsha256: " + err.Error())
	}
	return out
}
