// Package b64 is standard base64 without lookup tables.
//
// Matrix writes unpadded base64 and accepts padded. encoding/base64 indexes a
// table with the data, which leaks secret bytes through cache timing; here
// every character is mapped with branch-free arithmetic instead, so the same
// code is safe for keys and cheap for public data.
package b64

import (
	"unsafe"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Encode returns the unpadded standard base64 encoding of src.
func Encode(src []byte) string { return toString(encode(src, false)) }

// EncodeURL returns the unpadded base64url encoding of src (RFC 4648 §5), as
// JWK wants for key material.
func EncodeURL(src []byte) string { return toString(encode(src, true)) }

// toString takes ownership of b (freshly made by encode) instead of copying.
func toString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func encode(src []byte, url bool) []byte {
	dst := make([]byte, (len(src)*8+5)/6)
	di := 0
	for i := 0; i+3 <= len(src); i += 3 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		dst[di] = encodeSextet(v >> 18 & 63)
		dst[di+1] = encodeSextet(v >> 12 & 63)
		dst[di+2] = encodeSextet(v >> 6 & 63)
		dst[di+3] = encodeSextet(v & 63)
		di += 4
	}
	switch len(src) % 3 {
	case 1:
		v := uint(src[len(src)-1]) << 16
		dst[di] = encodeSextet(v >> 18 & 63)
		dst[di+1] = encodeSextet(v >> 12 & 63)
	case 2:
		v := uint(src[len(src)-2])<<16 | uint(src[len(src)-1])<<8
		dst[di] = encodeSextet(v >> 18 & 63)
		dst[di+1] = encodeSextet(v >> 12 & 63)
		dst[di+2] = encodeSextet(v >> 6 & 63)
	}
	if url {
		for i, c := range dst {
			dst[i] = toURL(c)
		}
	}
	return dst
}

// toURL maps '+' to '-' and '/' to '_' without a branch on the character.
func toURL(c byte) byte {
	x := int(c)
	plus := ((x ^ '+') - 1) >> 8  // -1 when c == '+', else 0
	slash := ((x ^ '/') - 1) >> 8 // -1 when c == '/', else 0
	return byte(x + plus&('-'-'+') + slash&('_'-'/'))
}

// Decode accepts standard base64 with or without '=' padding. Padding, when
// present, must be complete and only at the end.
func Decode(s string) ([]byte, error) {
	n, err := dataLen(s)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n*6/8)
	var acc uint
	bits := 0
	bad := 0
	for i := 0; i < n; i++ {
		d := decodeChar(s[i])
		bad |= d >> 8 // -1 on an invalid character
		acc = acc<<6 | uint(d)&63
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bad != 0 {
		return nil, errcode.New(errcode.BadBase64, "not base64: contains characters outside A-Z a-z 0-9 + /")
	}
	return out, nil
}

// DecodeLen is Decode plus a length check, naming the field in errors.
func DecodeLen(s string, want int, field string) ([]byte, error) {
	b, err := Decode(s)
	if err != nil {
		return nil, errcode.Context(err, field)
	}
	if len(b) != want {
		return nil, errcode.New(errcode.BadInput, "%s: must decode to %d bytes, got %d", field, want, len(b))
	}
	return b, nil
}

// Canonical checks that s is the base64 of want bytes (padded or not) and
// returns its unpadded form, the one key ids and records use: two spellings
// of one public key must not make two records.
func Canonical(s string, want int, field string) (string, error) {
	b, err := DecodeLen(s, want, field)
	if err != nil {
		return "", err
	}
	return Encode(b), nil
}

// dataLen is the number of base64 characters in s once complete padding
// is removed; a length no encoding has is an error.
func dataLen(s string) (int, error) {
	n := len(s)
	if n%4 == 0 && n > 0 && s[n-1] == '=' {
		n--
		if s[n-1] == '=' {
			n--
		}
	}
	if n%4 == 1 {
		return 0, errcode.New(errcode.BadBase64, "not base64: length %d is impossible", len(s))
	}
	return n, nil
}

// encodeSextet maps 0..63 to its character without a table or branch.
func encodeSextet(v uint) byte {
	x := int(v)
	diff := int('A')
	diff += ((25 - x) >> 8) & 6  // 26..: 'a'-26
	diff -= ((51 - x) >> 8) & 75 // 52..: '0'-52
	diff -= ((61 - x) >> 8) & 15 // 62: '+'
	diff += ((62 - x) >> 8) & 3  // 63: '/'
	return byte(x + diff)
}

// decodeChar maps a character to 0..63, or -1 when it is not in the alphabet.
// Each range test is a sign-bit mask: both factors are negative only inside it.
func decodeChar(c byte) int {
	x := int(c)
	r := -1
	r += (((0x40 - x) & (x - 0x5b)) >> 8) & (x - 64) // A-Z
	r += (((0x60 - x) & (x - 0x7b)) >> 8) & (x - 70) // a-z
	r += (((0x2f - x) & (x - 0x3a)) >> 8) & (x + 5)  // 0-9
	r += (((0x2a - x) & (x - 0x2c)) >> 8) & 63       // +
	r += (((0x2e - x) & (x - 0x30)) >> 8) & 64       // /
	return r
}
