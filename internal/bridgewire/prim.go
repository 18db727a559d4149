package bridgewire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Writer appends little-endian encodings to B.
type Writer struct{ B []byte }

func (w *Writer) U8(v byte)      { w.B = append(w.B, v) }
func (w *Writer) U16(v uint16)   { w.B = binary.LittleEndian.AppendUint16(w.B, v) }
func (w *Writer) U32(v uint32)   { w.B = binary.LittleEndian.AppendUint32(w.B, v) }
func (w *Writer) F64(v float64)  { w.B = binary.LittleEndian.AppendUint64(w.B, math.Float64bits(v)) }
func (w *Writer) Raw(p []byte)   { w.B = append(w.B, p...) }
func (w *Writer) Str8(p string)  { w.U8(uint8(len(p))); w.B = append(w.B, p...) }
func (w *Writer) Str16(p string) { w.U16(uint16(len(p))); w.B = append(w.B, p...) }

// Bytes32 appends p after its length as a u32.
func (w *Writer) Bytes32(p []byte) { w.U32(uint32(len(p))); w.B = append(w.B, p...) }

// Str32 appends s after its length as a u32.
func (w *Writer) Str32(s string) { w.U32(uint32(len(s))); w.B = append(w.B, s...) }

func (w *Writer) Bool(v bool) {
	if v {
		w.U8(1)
	} else {
		w.U8(0)
	}
}

// Reader reads what Writer wrote. The first failure sticks (a BAD_INPUT
// naming the format and the field) and later reads return zero values, so
// a decoder reads every field and checks Err once.
type Reader struct {
	b    []byte
	err  error
	what string
}

// NewReader reads b; what names the format in error messages.
func NewReader(b []byte, what string) *Reader { return &Reader{b: b, what: what} }

// Fail records the first failure and drops the rest of the input.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = errcode.New(errcode.BadInput, "%s: %s", r.what, fmt.Sprintf(format, args...))
	}
	r.b = nil
}

func (r *Reader) Err() error { return r.err }
func (r *Reader) Len() int   { return len(r.b) }

// Finish returns the first failure, or a failure if bytes are left over.
func (r *Reader) Finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.Fail("%d bytes after the end", len(r.b))
	}
	return r.err
}

// Fixed reads n bytes, aliasing the input; nil after a failure.
func (r *Reader) Fixed(n int, field string) []byte {
	if r.err == nil && len(r.b) < n {
		r.Fail("%s is truncated", field)
	}
	if r.err != nil {
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *Reader) U8(field string) byte {
	if p := r.Fixed(1, field); p != nil {
		return p[0]
	}
	return 0
}

func (r *Reader) U16(field string) uint16 {
	if p := r.Fixed(2, field); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (r *Reader) U32(field string) uint32 {
	if p := r.Fixed(4, field); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *Reader) F64(field string) float64 {
	if p := r.Fixed(8, field); p != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool(field string) bool {
	switch v := r.U8(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail("%s: bad boolean %d", field, v)
		return false
	}
}

func (r *Reader) Bytes8(field string) []byte  { return r.Fixed(int(r.U8(field+" length")), field) }
func (r *Reader) Bytes16(field string) []byte { return r.Fixed(int(r.U16(field+" length")), field) }

// Bytes32 reads a u32 length, then that many bytes.
func (r *Reader) Bytes32(field string) []byte {
	n := r.U32(field + " length")
	if r.err == nil && uint64(n) > uint64(len(r.b)) {
		r.Fail("%s is truncated", field)
	}
	return r.Fixed(int(n), field)
}
