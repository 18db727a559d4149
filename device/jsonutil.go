package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// encode writes a generic value as JSON with sorted keys: canonical JSON,
// except that numbers are written as given, so event contents with
// fractions or exponents (which canonical JSON forbids, but which need no
// signature here) pass through unchanged. Values come from jsonvalue or our
// own code, so a failure is a bug.
func encode(v any) ([]byte, error) {
	b, err := canonicaljson.EncodeVerbatimNumbers(v)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err, "encoding JSON")
	}
	return b, nil
}

// rawJSON decodes already-validated JSON so it can be embedded in a value
// for encode.
func rawJSON(data []byte, what string) (any, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return nil, errcode.Context(err, what)
	}
	return v, nil
}
