//go:build js && wasm

package jsbridge

import (
	"strings"
	"unsafe"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
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

type directFn func(r *request) (any, error)

type directOp struct {
	name string // the loader's name for it, e.g. "megolm.outboundEncrypt"
	fn   directFn
}

// machineDirectCalls counts the machine calls run directly
// (machine_direct.go), for the test build's _debug.machineDirectCalls.
var machineDirectCalls int

var exchange = make([]byte, 64<<10)

// mxcrypto_exchange returns the address of the exchange buffer, grown to
// at least size bytes first. Growing may move it: the loader asks again
// after every call.
//
//go:wasmexport mxcrypto_exchange
func exchangeBuffer(size uint32) uint32 {
	if int(size) > len(exchange) {
		growExchange(int(size))
	}
	return uint32(uintptr(unsafe.Pointer(&exchange[0])))
}

// growExchange replaces the exchange buffer by a bigger one, wiping the old
// one: it may hold the last answer (a plaintext) until the loader wiped it.
func growExchange(size int) {
	clear(exchange)
	exchange = make([]byte, max(size, 2*len(exchange)))
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
		before := answer[:cap(answer)]
		out = runDirect(directOps[op], bridgewire.NewRequest(directOps[op].name, in), answer[:0])
		clear(in)
		if cap(out) != cap(before) {
			clear(before) // outgrown mid-answer: it holds the answer's start
		}
		endOperation()
	}
	if len(out) > len(exchange) {
		growExchange(len(out))
	}
	copy(exchange, out)
	answer = out[:0] // reused: most answers are the same size every call
	clear(out)
	// The answer now lives only in the exchange buffer; the loader wipes it
	// there once read (direct.mjs), so no plaintext outlives its call.
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
		err = req.Err()
	}
	if err != nil {
		return encodeError(err)
	}
	return bridgewire.AppendAnswer(dst, v)
}

func encodeError(err error) []byte {
	return bridgewire.AppendError(nil, errcode.Of(err), err.Error())
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
