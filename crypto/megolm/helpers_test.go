package megolm

import (
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// join concatenates wrapped base64 lines from docs/vectors.md.
func join(lines ...string) string { return strings.Join(lines, "") }

// wantCode fails unless err carries code.
func wantCode(t testing.TB, what string, err error, code errcode.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := errcode.Of(err); got != code {
		t.Fatalf("%s: code %s (%v), want %s", what, got, err, code)
	}
}

// checkCoded fails when err is set but has no code (INTERNAL means a bug).
func checkCoded(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil && errcode.Of(err) == errcode.Internal {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

// flip returns s with the character at i replaced by a different base64
// character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
