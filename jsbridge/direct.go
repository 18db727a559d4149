//go:build js && wasm

package jsbridge

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

// Direct calls carry the hot operations (Olm and Megolm encrypt, decrypt,
// session setup) past syscall/js. Calling a js.FuncOf resumes the Go
// scheduler and costs about 35 µs, more than a Megolm decryption; calling a
// go:wasmexport function costs under 1 µs.
//
// The loader (direct.mjs) encodes the arguments into the exchange buffer in
// wasm memory and calls mxcrypto_call(op, n); Go decodes them, does the work
// synchronously, and encodes the answer into the same buffer. A direct
// operation must not block (no channels, no waiting on JS promises): it runs
// inside the caller's JS stack frame.
//
// Values are tagged: see the tag constants; lengths and counts are uint32
// little-endian. An answer starts with a status byte: 0 and the result, or 1
// and the error's code and message as strings.

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

type directFn func(r *request) (any, error)

type directOp struct {
	name string // the loader's name for it, e.g. "megolm.outboundEncrypt"
	fn   directFn
}

var exchange = make([]byte, 64<<10)

// mxcrypto_exchange returns the address of the exchange buffer, grown to
// at least size bytes first. Growing may move it: the loader asks again
// after every call.
//
//go:wasmexport mxcrypto_exchange
func exchangeBuffer(size uint32) uint32 {
	if int(size) > len(exchange) {
		exchange = make([]byte, max(int(size), 2*len(exchange)))
	}
	return uint32(uintptr(unsafe.Pointer(&exchange[0])))
}

// mxcrypto_call runs operation op on the n-byte request at the start of the
// exchange buffer and returns the length of the answer written there.
//
//go:wasmexport mxcrypto_call
func directCall(op, n uint32) uint32 {
	var out []byte
	if int(op) >= len(directOps) || int(n) > len(exchange) {
		out = encodeError(errcode.New(errcode.Internal, "mxcrypto: unknown direct operation %d (loader and module do not match; rebuild)", op))
	} else {
		// The request is read in place: operations copy what they keep,
		// and nothing else can use the buffer until this returns.
		in := exchange[:n]
		out = runDirect(directOps[op], &request{name: directOps[op].name, b: in}, answer[:0])
		clear(in)
		endOperation()
	}
	if len(out) > len(exchange) {
		exchange = make([]byte, max(len(out), 2*len(exchange)))
	}
	copy(exchange, out)
	answer = out[:0] // reused: most answers are the same size every call
	clear(out)
	return uint32(len(out))
}

// answer is where answers are built before being copied to the exchange
// buffer (an answer may hold slices of the request, so not built in place).
var answer = make([]byte, 0, 64<<10)

func runDirect(d directOp, req *request, dst []byte) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = encodeError(recovered(d.name, r))
		}
	}()
	v, err := d.fn(req)
	if err == nil {
		err = req.err
	}
	if err != nil {
		return encodeError(err)
	}
	return appendValue(append(dst, 0), v)
}

func encodeError(err error) []byte {
	b := []byte{1}
	b = appendString(b, string(errcode.Of(err)))
	return appendString(b, err.Error())
}

func appendU32(b []byte, v int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(v)) }

func appendString(b []byte, s string) []byte {
	b = appendU32(b, len(s))
	return append(b, s...)
}

// appendValue encodes a result; the same shapes as ToJS.
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

// directNames is handed to the loader: index i is operation i.
func directNames() []any {
	names := make([]any, len(directOps))
	for i, d := range directOps {
		if strings.ContainsAny(d.name, " \x00") {
			panic("jsbridge: bad direct operation name " + d.name)
		}
		names[i] = d.name
	}
	return names
}
