package jsbridge

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// The byte format of direct calls (see direct.go): tagged values, lengths and
// counts as uint32 little-endian. This file has no syscall/js so that its
// decoder is fuzzed natively.

// RawJSON is a JSON text returned to JS as the value it encodes.
type RawJSON []byte

// Fields is an object with fixed keys: cheaper than a map to build and to
// encode, where results are made once per message.
type Fields []Field

type Field struct {
	Key   string
	Value any
}

const (
	tagNull   = 0
	tagFalse  = 1
	tagTrue   = 2
	tagNumber = 3 // float64, little-endian
	tagString = 4 // UTF-8
	tagBytes  = 5
	tagObject = 6 // count, then (key, value) pairs; keys untagged strings
	tagArray  = 7 // count, then values
	tagJSON   = 8 // JSON text (requests: objects; answers: RawJSON)
)

func appendU32(b []byte, v int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(v)) }

func appendString(b []byte, s string) []byte {
	b = appendU32(b, len(s))
	return append(b, s...)
}

// appendValue encodes a result; the same shapes as ToJS.
// SecretText is a decrypted plaintext, answered as a string: the direct-call
// encoder (wire.go) wipes it once encoded.
type SecretText []byte

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull)
	case bool:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case int:
		return appendNumber(b, float64(x))
	case int64:
		return appendNumber(b, float64(x))
	case float64:
		return appendNumber(b, x)
	case string:
		return appendString(append(b, tagString), x)
	case SecretText:
		// Encoded as a string, then wiped: a decrypted plaintext must not
		// stay in Go's heap after its call (the answer is wiped too).
		b = appendU32(append(b, tagString), len(x))
		b = append(b, x...)
		clear(x)
		return b
	case []byte:
		b = appendU32(append(b, tagBytes), len(x))
		return append(b, x...)
	case RawJSON:
		b = appendU32(append(b, tagJSON), len(x))
		return append(b, x...)
	case map[string]any:
		b = appendU32(append(b, tagObject), len(x))
		for k, e := range x {
			b = appendValue(appendString(b, k), e)
		}
		return b
	case Fields:
		b = appendU32(append(b, tagObject), len(x))
		for _, f := range x {
			b = appendValue(appendString(b, f.Key), f.Value)
		}
		return b
	case []any:
		b = appendU32(append(b, tagArray), len(x))
		for _, e := range x {
			b = appendValue(b, e)
		}
		return b
	default:
		panic(fmt.Sprintf("jsbridge: no direct encoding for a %T result", v))
	}
}

func appendNumber(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tagNumber), math.Float64bits(f))
}

// request reads a direct call's arguments in order; the first problem is
// kept in err (BAD_INPUT naming the argument) and later reads return zeros.
type request struct {
	name string
	b    []byte
	err  error
}

func (r *request) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errcode.New(errcode.BadInput, "%s: %s", r.name, fmt.Sprintf(format, args...))
	}
}

func (r *request) tag(arg string) byte {
	if r.err != nil {
		return 0xff
	}
	if len(r.b) == 0 {
		r.fail("%s is missing", arg)
		return 0xff
	}
	t := r.b[0]
	r.b = r.b[1:]
	return t
}

func (r *request) payload(arg string) []byte {
	if len(r.b) < 4 {
		r.fail("%s is truncated", arg)
		return nil
	}
	n := binary.LittleEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		r.fail("%s is truncated", arg)
		return nil
	}
	p := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return p
}

func (r *request) wrongType(arg, want string, t byte) {
	got := map[byte]string{tagNull: "null", tagFalse: "a boolean", tagTrue: "a boolean", tagNumber: "a number", tagString: "a string", tagBytes: "a Uint8Array", tagJSON: "an object"}[t]
	if got == "" {
		got = "another type"
	}
	r.fail("%s must be %s, got %s", arg, want, got)
}

// Bytes reads a Uint8Array; size ≥ 0 demands that length.
func (r *request) Bytes(arg string, size int) []byte {
	t := r.tag(arg)
	if t == 0xff {
		return nil
	}
	if t != tagBytes {
		r.wrongType(arg, "a Uint8Array", t)
		return nil
	}
	p := r.payload(arg)
	if r.err == nil && size >= 0 && len(p) != size {
		r.fail("%s must be %d bytes, got %d", arg, size, len(p))
		return nil
	}
	return p
}

// RawString reads a string as its UTF-8 bytes, without a copy: valid only
// until the call returns.
func (r *request) RawString(arg string) []byte {
	t := r.tag(arg)
	if t == 0xff {
		return nil
	}
	if t != tagString {
		r.wrongType(arg, "a string", t)
		return nil
	}
	return r.payload(arg)
}

func (r *request) String(arg string) string {
	t := r.tag(arg)
	if t == 0xff {
		return ""
	}
	if t != tagString {
		r.wrongType(arg, "a string", t)
		return ""
	}
	return string(r.payload(arg))
}

func (r *request) Number(arg string) float64 {
	t := r.tag(arg)
	if t == 0xff {
		return 0
	}
	if t != tagNumber || len(r.b) < 8 {
		r.wrongType(arg, "a number", t)
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

// Int reads a number that must be a safe integer.
func (r *request) Int(arg string) int {
	f := r.Number(arg)
	if r.err == nil && (f != math.Trunc(f) || math.Abs(f) > 1<<53) {
		r.fail("%s must be an integer, got %v", arg, f)
		return 0
	}
	return int(f)
}

// Null reports whether the next argument is null or undefined, consuming it.
func (r *request) Null() bool {
	if r.err == nil && len(r.b) > 0 && r.b[0] == tagNull {
		r.b = r.b[1:]
		return true
	}
	return false
}

// JSON reads an object or array the loader serialised with JSON.stringify.
func (r *request) JSON(arg string) []byte {
	t := r.tag(arg)
	if t == 0xff {
		return nil
	}
	if t != tagJSON {
		r.wrongType(arg, "an object", t)
		return nil
	}
	return r.payload(arg)
}
