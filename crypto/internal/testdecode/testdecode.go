// Package testdecode decodes the hex and base64 of test vectors, failing the
// test on malformed input. For tests only.
package testdecode

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// Hex decodes a hex vector.
func Hex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// B64 decodes a standard base64 vector, padded or not.
func B64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
