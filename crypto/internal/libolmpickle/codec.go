package libolmpickle

import (
	"encoding/binary"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Reader decodes a raw libolm pickle. After the first short read every
// further read returns zeros; check Err (or Finish) once at the end.
type Reader struct {
	buf []byte
	err error
}

func NewReader(raw []byte) *Reader { return &Reader{buf: raw} }

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	if len(r.buf) < n {
		r.err = errcode.New(errcode.BadPickle, "libolm pickle is truncated")
		return make([]byte, n)
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

func (r *Reader) U32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *Reader) U8() uint8   { return r.take(1)[0] }
func (r *Reader) Bool() bool  { return r.take(1)[0] != 0 }

// Bytes returns a copy of the next n bytes.
func (r *Reader) Bytes(n int) []byte { return append([]byte(nil), r.take(n)...) }

// Err is the first error, if any.
func (r *Reader) Err() error { return r.err }

// Fail records a semantic error found by the caller (e.g. a count too large).
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = errcode.New(errcode.BadPickle, format, args...)
	}
}

// Finish reports the first error, or leftover bytes (libolm rejects those too).
func (r *Reader) Finish() error {
	if r.err == nil && len(r.buf) != 0 {
		r.err = errcode.New(errcode.BadPickle, "libolm pickle has %d unexpected bytes at the end", len(r.buf))
	}
	return r.err
}

// Writer encodes a raw libolm pickle.
type Writer struct{ buf []byte }

func (w *Writer) U32(v uint32) { w.buf = binary.BigEndian.AppendUint32(w.buf, v) }
func (w *Writer) U8(v uint8)   { w.buf = append(w.buf, v) }
func (w *Writer) Bool(v bool) {
	if v {
		w.U8(1)
	} else {
		w.U8(0)
	}
}
func (w *Writer) Bytes(b []byte) { w.buf = append(w.buf, b...) }
func (w *Writer) Raw() []byte    { return w.buf }
