package bridgewire

import (
	"fmt"
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Direct calls (docs/bridge-formats.md §1): a request is a sequence of
// tagged values; an answer is 0 and one tagged value, or 1 and the error's
// code and message as Str32. Lengths and counts are u32.
const (
	TagNull   = 0
	TagFalse  = 1
	TagTrue   = 2
	TagNumber = 3 // float64
	TagString = 4 // UTF-8
	TagBytes  = 5
	TagObject = 6 // count, then (key, value) pairs; keys untagged Str32
	TagArray  = 7 // count, then values
	TagJSON   = 8 // JSON text (requests: objects; answers: RawJSON)

	AnswerOK    = 0
	AnswerError = 1
)

// RawJSON is a JSON text returned to JS as the value it encodes.
type RawJSON []byte

// SecretText is a decrypted plaintext, answered as a string and wiped once
// encoded (the loader wipes the answer too).
type SecretText []byte

// Object is an object whose keys come in a fixed order (jsbridge.Fields):
// cheaper than a map to build and to encode, where results are made once per
// message.
type Object interface {
	Len() int
	Field(i int) (key string, value any)
}

// AppendValue encodes an answer value: nil, bool, int, int64, float64,
// string, SecretText, []byte, RawJSON, map[string]any, Object and []any.
// Any other type is a programming error and panics.
func AppendValue(b []byte, v any) []byte {
	w := Writer{B: b}
	w.value(v)
	return w.B
}

func (w *Writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.U8(TagNull)
	case bool:
		if x {
			w.U8(TagTrue)
		} else {
			w.U8(TagFalse)
		}
	case int:
		w.U8(TagNumber)
		w.F64(float64(x))
	case int64:
		w.U8(TagNumber)
		w.F64(float64(x))
	case float64:
		w.U8(TagNumber)
		w.F64(x)
	case string:
		w.U8(TagString)
		w.Str32(x)
	case SecretText:
		// A decrypted plaintext must not stay in Go's heap after its call.
		w.U8(TagString)
		w.Bytes32(x)
		clear(x)
	case []byte:
		w.U8(TagBytes)
		w.Bytes32(x)
	case RawJSON:
		w.U8(TagJSON)
		w.Bytes32(x)
	case map[string]any:
		w.U8(TagObject)
		w.U32(uint32(len(x)))
		for k, e := range x {
			w.Str32(k)
			w.value(e)
		}
	case Object:
		n := x.Len()
		w.U8(TagObject)
		w.U32(uint32(n))
		for i := range n {
			k, v := x.Field(i)
			w.Str32(k)
			w.value(v)
		}
	case []any:
		w.U8(TagArray)
		w.U32(uint32(len(x)))
		for _, e := range x {
			w.value(e)
		}
	default:
		panic(fmt.Sprintf("bridgewire: no direct encoding for a %T result", v))
	}
}

// AppendAnswer appends a successful answer: AnswerOK, then v.
func AppendAnswer(b []byte, v any) []byte { return AppendValue(append(b, AnswerOK), v) }

// AppendError appends a failed answer: AnswerError, code, message.
func AppendError(b []byte, code errcode.Code, message string) []byte {
	w := Writer{B: append(b, AnswerError)}
	w.Str32(string(code))
	w.Str32(message)
	return w.B
}

// AppendRequest encodes arguments the way the loader does (wireformat.mjs
// encodeArgs): nil, bool, float64, string, []byte, and RawJSON for objects.
// The module never encodes requests; this is for tests and fuzz seeds.
func AppendRequest(b []byte, args ...any) []byte {
	w := Writer{B: b}
	for _, a := range args {
		switch x := a.(type) {
		case nil, bool, float64, string, []byte, RawJSON:
			w.value(x)
		default:
			panic(fmt.Sprintf("bridgewire: the loader sends no %T", a))
		}
	}
	return w.B
}

// Request reads a direct call's arguments in order. The first problem is
// kept (BAD_INPUT naming the operation and the argument, see Err) and later
// reads return zeros.
type Request struct{ r Reader }

// NewRequest reads the arguments of operation op from b.
func NewRequest(op string, b []byte) *Request { return &Request{Reader{b: b, what: op}} }

// Err is the first problem, or nil.
func (q *Request) Err() error { return q.r.err }

// Fail records a problem with an argument.
func (q *Request) Fail(format string, args ...any) { q.r.Fail(format, args...) }

// tag reads the next tag; ok is false (and a failure recorded) when it is
// missing or is not want.
func (q *Request) tag(arg, want string, tag byte) bool {
	if q.r.err != nil {
		return false
	}
	if len(q.r.b) == 0 {
		q.r.Fail("%s is missing", arg)
		return false
	}
	t := q.r.b[0]
	q.r.b = q.r.b[1:]
	if t != tag {
		got := map[byte]string{TagNull: "null", TagFalse: "a boolean", TagTrue: "a boolean", TagNumber: "a number", TagString: "a string", TagBytes: "a Uint8Array", TagJSON: "an object"}[t]
		if got == "" {
			got = "another type"
		}
		q.r.Fail("%s must be %s, got %s", arg, want, got)
		return false
	}
	return true
}

// Bytes reads a Uint8Array; size ≥ 0 demands that length. The result
// aliases the request.
func (q *Request) Bytes(arg string, size int) []byte {
	if !q.tag(arg, "a Uint8Array", TagBytes) {
		return nil
	}
	p := q.r.Bytes32(arg)
	if q.r.err == nil && size >= 0 && len(p) != size {
		q.r.Fail("%s must be %d bytes, got %d", arg, size, len(p))
		return nil
	}
	return p
}

// RawString reads a string as its UTF-8 bytes, without a copy: valid only
// until the call returns.
func (q *Request) RawString(arg string) []byte {
	if !q.tag(arg, "a string", TagString) {
		return nil
	}
	return q.r.Bytes32(arg)
}

func (q *Request) String(arg string) string { return string(q.RawString(arg)) }

func (q *Request) Number(arg string) float64 {
	if !q.tag(arg, "a number", TagNumber) {
		return 0
	}
	if len(q.r.b) < 8 {
		q.r.Fail("%s must be a number, got a truncated one", arg)
		return 0
	}
	return q.r.F64(arg)
}

// Int reads a number that must be a safe integer.
func (q *Request) Int(arg string) int {
	f := q.Number(arg)
	if q.r.err == nil && (f != math.Trunc(f) || math.Abs(f) > 1<<53) {
		q.r.Fail("%s must be an integer, got %v", arg, f)
		return 0
	}
	return int(f)
}

// Null reports whether the next argument is null or undefined, consuming it.
func (q *Request) Null() bool {
	if q.r.err == nil && len(q.r.b) > 0 && q.r.b[0] == TagNull {
		q.r.b = q.r.b[1:]
		return true
	}
	return false
}

// JSON reads an object or array the loader serialised with JSON.stringify.
func (q *Request) JSON(arg string) []byte {
	if !q.tag(arg, "an object", TagJSON) {
		return nil
	}
	return q.r.Bytes32(arg)
}
