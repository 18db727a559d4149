package device

import (
	"encoding/binary"
	"errors"
)

// A small binary codec for the device's own records: uvarint-prefixed
// strings and byte strings after a version byte. Records are sealed by the
// store, so this only needs to be unambiguous, not self-describing.

type writer struct{ b []byte }

func (w *writer) uint(v uint64)  { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) bytes(v []byte) { w.uint(uint64(len(v))); w.b = append(w.b, v...) }
func (w *writer) str(v string)   { w.uint(uint64(len(v))); w.b = append(w.b, v...) }
func (w *writer) bool(v bool)    { w.uint(map[bool]uint64{false: 0, true: 1}[v]) }
func (w *writer) int(v int64)    { w.b = binary.AppendVarint(w.b, v) }
func (w *writer) strs(v []string) {
	w.uint(uint64(len(v)))
	for _, s := range v {
		w.str(s)
	}
}

var errShort = errors.New("record is truncated or malformed")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string { return string(r.bytes()) }
func (r *reader) bool() bool  { return r.uint() == 1 }
func (r *reader) strs() []string {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, r.str())
	}
	return out
}

// done reports the first error, or an error if bytes are left over.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		return errShort
	}
	return r.err
}
