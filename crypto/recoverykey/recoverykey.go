// Package recoverykey is the Matrix "cryptographic key representation": the
// text form of backup and secret-storage keys that users write down.
//
// Layout: 0x8B 0x01 || key(32) || parity, base58 (Bitcoin alphabet), a space
// after every 4 characters. The first byte being 0x8B makes the base58 form
// always exactly 48 characters, which lets both directions run a fixed number
// of steps: a recovery key is a secret, so no step here depends on its value.
package recoverykey

import (
	"crypto/subtle"
	"strings"
	"unicode"

	"github.com/mxcrypto/mxcrypto/errcode"
)

const (
	KeySize  = 32
	rawSize  = 2 + KeySize + 1 // prefix, key, parity
	textSize = 48              // base58 digits of a rawSize value starting 0x8B
)

var prefix = [2]byte{0x8B, 0x01}

const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Encode returns the recovery key text of a 32-byte key.
func Encode(key []byte) (string, error) {
	if len(key) != KeySize {
		return "", errcode.New(errcode.BadInput, "key must be %d bytes, got %d", KeySize, len(key))
	}
	var raw [rawSize]byte
	copy(raw[:], prefix[:])
	copy(raw[2:], key)
	var parity byte
	for _, b := range raw[:rawSize-1] {
		parity ^= b
	}
	raw[rawSize-1] = parity

	// Long division by 58, least significant digit first.
	var digits [textSize]byte
	for d := textSize - 1; d >= 0; d-- {
		rem := uint32(0)
		for i := range raw {
			cur := rem<<8 | uint32(raw[i])
			raw[i] = byte(cur / 58)
			rem = cur % 58
		}
		digits[d] = digitChar(byte(rem))
	}
	var sb strings.Builder
	sb.Grow(textSize + textSize/4)
	for i, c := range digits {
		if i > 0 && i%4 == 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte(c)
	}
	return sb.String(), nil
}

// Decode parses recovery key text. All Unicode whitespace is ignored, as the
// spec and matrix-rust-sdk do (matrix-js-sdk only strips ASCII spaces).
func Decode(text string) ([]byte, error) {
	compact := make([]byte, 0, textSize)
	count := 0
	for _, r := range text {
		if unicode.IsSpace(r) {
			continue
		}
		count++
		if r < 0x80 && len(compact) < textSize {
			compact = append(compact, byte(r))
		} else if r >= 0x80 {
			return nil, errcode.New(errcode.BadRecoveryKey, "not a recovery key: character %d is not in the base58 alphabet", count)
		}
	}
	if count != textSize {
		return nil, errcode.New(errcode.BadRecoveryKey, "not a recovery key: it has %d characters besides spaces, a recovery key has %d (12 groups of 4)", count, textSize)
	}

	var raw [rawSize + 1]byte // one extra leading byte catches overflow
	bad := 0
	for i, c := range compact {
		v, ok := charDigit(c)
		if ok == 0 && bad == 0 {
			bad = i + 1
		}
		carry := uint32(v)
		for j := len(raw) - 1; j >= 0; j-- {
			cur := uint32(raw[j])*58 + carry
			raw[j] = byte(cur)
			carry = cur >> 8
		}
	}
	if bad != 0 {
		return nil, errcode.New(errcode.BadRecoveryKey, "not a recovery key: character %d is not in the base58 alphabet (0, O, I and l are never used)", bad)
	}
	if raw[0] != 0 || raw[1] != prefix[0] || raw[2] != prefix[1] {
		return nil, errcode.New(errcode.BadRecoveryKey, "not a recovery key: wrong prefix (is this a different kind of key?)")
	}
	var parity byte
	for _, b := range raw[1:] {
		parity ^= b
	}
	if parity != 0 {
		return nil, errcode.New(errcode.BadRecoveryKey, "recovery key has a typo: the parity check failed")
	}
	key := make([]byte, KeySize)
	copy(key, raw[3:3+KeySize])
	return key, nil
}

// digitChar maps 0..57 to its base58 character by scanning the whole alphabet.
func digitChar(d byte) byte {
	var c byte
	for i := 0; i < len(alphabet); i++ {
		c |= byte(subtle.ConstantTimeByteEq(byte(i), d)) * alphabet[i]
	}
	return c
}

// charDigit maps a base58 character to its value; ok is 0 when c is not in
// the alphabet. Always scans the whole alphabet.
func charDigit(c byte) (v byte, ok int) {
	for i := 0; i < len(alphabet); i++ {
		eq := subtle.ConstantTimeByteEq(alphabet[i], c)
		v |= byte(eq) * byte(i)
		ok |= eq
	}
	return v, ok
}
