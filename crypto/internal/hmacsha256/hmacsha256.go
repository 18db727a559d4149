// Package hmacsha256 is HMAC-SHA-256 and HKDF-SHA-256 (RFC 2104, RFC 5869),
// the MAC and key derivation of every Matrix format. Compiled to wasm,
// crypto/sha256 takes about 2 µs per 64-byte block; there this package uses
// its own unrolled SHA-256, twice as fast. (A native host does not pay here:
// crossing to Node's crypto and setting up its HMAC costs more than the few
// blocks a Matrix MAC or key derivation hashes.)
package hmacsha256

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"runtime"
)

const Size = 32

// own selects this package's SHA-256: on wasm it is the faster one;
// elsewhere crypto/sha256 has assembly.
const own = runtime.GOARCH == "wasm"

// Sum is HMAC-SHA-256 of msg under key.
func Sum(key, msg []byte) []byte {
	if own {
		return ownSum(key, msg)
	}
	return GoSum(key, msg)
}

// HKDF returns n bytes of HKDF-SHA-256. Matrix asks for at most 80, far
// below HKDF's limit of 255*32, so this cannot fail. Always Go: Node's
// hkdfSync costs more than the dozen blocks Matrix derives.
func HKDF(ikm, salt []byte, info string, n int) []byte {
	if n <= 0 || n > 255*Size {
		panic("hmacsha256: HKDF length out of range")
	}
	if own {
		return ownHKDF(ikm, salt, info, n)
	}
	return GoHKDF(ikm, salt, info, n)
}

// GoSum is Sum computed by crypto/hmac.
func GoSum(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// GoHKDF is HKDF computed by crypto/hkdf.
func GoHKDF(ikm, salt []byte, info string, n int) []byte {
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		panic("hmacsha256: " + err.Error())
	}
	return out
}
