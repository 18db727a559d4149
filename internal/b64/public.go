package b64

import "github.com/mxcrypto/mxcrypto/errcode"

// EncodePublic and DecodePublic are Encode and Decode with lookup tables,
// for data that is public anyway (ciphertexts, signatures, public keys):
// table lookups leak only what an observer already has, and a Megolm
// message decodes several times faster. Never use them on keys or
// plaintext. They accept and produce exactly what Encode and Decode do
// (the tables are built from the same mappings; fuzz_test.go compares).

var encodeTable, decodeTable = func() (enc [64]byte, dec [256]int8) {
	for v := range enc {
		enc[v] = encodeSextet(uint(v))
	}
	for c := range dec {
		dec[c] = int8(decodeChar(byte(c)))
	}
	return enc, dec
}()

// EncodePublic returns the unpadded standard base64 of public data.
func EncodePublic(src []byte) string {
	dst := make([]byte, (len(src)*8+5)/6)
	di, i := 0, 0
	for ; i+3 <= len(src); i += 3 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		dst[di] = encodeTable[v>>18&63]
		dst[di+1] = encodeTable[v>>12&63]
		dst[di+2] = encodeTable[v>>6&63]
		dst[di+3] = encodeTable[v&63]
		di += 4
	}
	switch len(src) - i {
	case 1:
		v := uint(src[i]) << 16
		dst[di] = encodeTable[v>>18&63]
		dst[di+1] = encodeTable[v>>12&63]
	case 2:
		v := uint(src[i])<<16 | uint(src[i+1])<<8
		dst[di] = encodeTable[v>>18&63]
		dst[di+1] = encodeTable[v>>12&63]
		dst[di+2] = encodeTable[v>>6&63]
	}
	return toString(dst)
}

// DecodePublic decodes public base64, padded or not, as Decode does.
func DecodePublic(s string) ([]byte, error) {
	n, err := dataLen(s)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n*6/8)
	var bad int8
	oi, i := 0, 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := decodeTable[s[i]], decodeTable[s[i+1]], decodeTable[s[i+2]], decodeTable[s[i+3]]
		bad |= a | b | c | d
		v := uint(a&63)<<18 | uint(b&63)<<12 | uint(c&63)<<6 | uint(d&63)
		out[oi], out[oi+1], out[oi+2] = byte(v>>16), byte(v>>8), byte(v)
		oi += 3
	}
	switch n - i {
	case 2:
		a, b := decodeTable[s[i]], decodeTable[s[i+1]]
		bad |= a | b
		out[oi] = byte(uint(a&63)<<2 | uint(b&63)>>4)
	case 3:
		a, b, c := decodeTable[s[i]], decodeTable[s[i+1]], decodeTable[s[i+2]]
		bad |= a | b | c
		v := uint(a&63)<<12 | uint(b&63)<<6 | uint(c&63)
		out[oi], out[oi+1] = byte(v>>10), byte(v>>2)
	}
	if bad < 0 {
		return nil, errcode.New(errcode.BadBase64, "not base64: contains characters outside A-Z a-z 0-9 + /")
	}
	return out, nil
}
