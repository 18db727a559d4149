package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// parseObject parses a JSON argument; what names it in the error.
func parseObject(data []byte, what string) (jsonvalue.Object, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return jsonvalue.Object{}, errcode.Context(err, what)
	}
	return jsonvalue.AsObject(v, what)
}

// encode writes a generic value as JSON with sorted keys: canonical JSON,
// except that numbers are written as given, so event contents with
// fractions or exponents (which canonical JSON forbids, but which need no
// signature here) pass through unchanged. Values come from jsonvalue or our
// own code, so a failure is a bug.
func encode(v any) ([]byte, error) {
	b, err := appendJSON(nil, v)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err, "encoding JSON")
	}
	return b, nil
}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case jsonvalue.Number:
		return append(b, x...), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			s, err := canonicaljson.Encode(k)
			if err != nil {
				return nil, err
			}
			b = append(append(b, s...), ':')
			if b, err = appendJSON(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	// Strings, integers, booleans and null: canonical JSON's form.
	s, err := canonicaljson.Encode(v)
	return append(b, s...), err
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
