package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/jsonvalue"
)

// parseObject parses a JSON argument; what names it in the error.
func parseObject(data []byte, what string) (jsonvalue.Object, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return jsonvalue.Object{}, errcode.Context(err, what)
	}
	return jsonvalue.AsObject(v, what)
}

// encode writes a generic value as canonical JSON; our own values always
// encode, so a failure is a bug.
func encode(v any) ([]byte, error) {
	b, err := canonicaljson.Encode(v)
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

// normalizeKey checks a base64 32-byte public key and returns it unpadded,
// the form records are keyed by.
func normalizeKey(s, what string) (string, error) {
	b, err := b64.DecodeLen(s, 32, what)
	if err != nil {
		return "", err
	}
	return b64.Encode(b), nil
}
