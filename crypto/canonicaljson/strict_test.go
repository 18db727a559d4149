package canonicaljson_test

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// Data after the top-level value must be rejected, including a stray closing
// bracket or brace (json.Decoder.More reports false for those).
func TestRejectsTrailingCloser(t *testing.T) {
	for _, in := range []string{`{"a":1}}`, `[1]]`, `{}]`, `1}`, `"x"]`} {
		if got, err := canonicaljson.Marshal([]byte(in)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Marshal(%s) = %s, %v; want BAD_INPUT", in, got, err)
		}
	}
}

// Numbers that are not integers must be rejected even when they round to one
// at 200 bits of precision or underflow to zero.
func TestRejectsNearIntegers(t *testing.T) {
	for _, in := range []string{
		`1e-1000000000`,
		`1.0000000000000000000000000000000000000000000000000000000000001`,
		`9007199254740991.00000000000000000000000000000000000000000000000001`,
	} {
		if got, err := canonicaljson.Marshal([]byte(in)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Marshal(%.30s…) = %s, %v; want BAD_INPUT", in, got, err)
		}
	}
}
