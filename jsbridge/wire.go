package jsbridge

import "github.com/mxcrypto/mxcrypto/internal/bridgewire"

// The byte formats of direct calls and batches live in internal/bridgewire
// (Go) and wireformat.mjs (JS); docs/bridge-formats.md describes them.
// These names keep the API files short.

// RawJSON is a JSON text returned to JS as the value it encodes.
type RawJSON = bridgewire.RawJSON

// SecretText is a decrypted plaintext, answered as a string: the direct-call
// encoder wipes it once encoded.
type SecretText = bridgewire.SecretText

// Fields is an object with fixed keys: cheaper than a map to build and to
// encode, where results are made once per message.
type Fields []Field

type Field struct {
	Key   string
	Value any
}

// Len and Field make Fields a bridgewire.Object.
func (f Fields) Len() int                  { return len(f) }
func (f Fields) Field(i int) (string, any) { return f[i].Key, f[i].Value }

// request reads a direct call's arguments.
type request = bridgewire.Request
