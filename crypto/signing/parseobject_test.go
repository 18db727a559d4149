package signing_test

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestParseObjectRejectsTrailingData(t *testing.T) {
	for _, in := range []string{`{} garbage`, `{}}`, `{"a":1}{"b":2}`} {
		if obj, err := signing.ParseObject([]byte(in)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("ParseObject(%s) = %v, %v; want BAD_INPUT", in, obj, err)
		}
	}
}
