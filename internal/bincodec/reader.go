package bincodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Reader reads what Writer wrote. The zero value reads nothing; use
// NewReader.
type Reader struct {
	b   []byte
	err error
	// What names the record in error messages ("MANIFEST", "account
	// pickle"); may be empty.
	What string
}

// NewReader reads b; what names the record in error messages.
func NewReader(b []byte, what string) *Reader { return &Reader{b: b, What: what} }

// ErrDamaged is wrapped by every error the Reader reports.
var ErrDamaged = errors.New("damaged encoding")

type readError struct{ msg string }

func (e *readError) Error() string { return e.msg }
func (e *readError) Unwrap() error { return ErrDamaged }

// Fail records the first failure (later ones are dropped) and drops the
// rest of the input. Decoders call it for checks of their own.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		msg := fmt.Sprintf(format, args...)
		if r.What != "" {
			msg = r.What + ": " + msg
		}
		r.err = &readError{msg}
	}
	r.b = nil
}

// Err is the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Len is the number of bytes not yet read.
func (r *Reader) Len() int { return len(r.b) }

// Rest returns the bytes not yet read and consumes them. After a failure it
// returns nil.
func (r *Reader) Rest() []byte {
	p := r.b
	r.b = nil
	return p
}

// Finish returns the first failure, or a failure if bytes are left over.
func (r *Reader) Finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.Fail("%d unexpected bytes at the end", len(r.b))
	}
	return r.err
}

// Fixed reads n bytes with no length prefix. The result aliases the input.
// After a failure it returns n zero bytes, so callers may copy from it or
// index it without checking first.
func (r *Reader) Fixed(n int, field string) []byte {
	if r.err == nil && len(r.b) < n {
		r.Fail("%s truncated", field)
	}
	if r.err != nil {
		return make([]byte, n)
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// U8 reads one byte.
func (r *Reader) U8() byte { return r.Fixed(1, "byte")[0] }

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool() bool {
	switch v := r.U8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail("bad boolean %d", v)
		return false
	}
}

// U32 reads 4 bytes big-endian.
func (r *Reader) U32() uint32 { return binary.BigEndian.Uint32(r.Fixed(4, "u32")) }

// U64 reads 8 bytes big-endian.
func (r *Reader) U64() uint64 { return binary.BigEndian.Uint64(r.Fixed(8, "u64")) }

// Uvarint reads an unsigned varint in its shortest form.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.Fail("bad varint")
		return 0
	}
	// An overlong form would give one value two encodings.
	if n != uvarintLen(v) {
		r.Fail("overlong varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a zigzag varint in its shortest form.
func (r *Reader) Varint() int64 {
	u := r.Uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// UvarintMax reads a uvarint that must not exceed max.
func (r *Reader) UvarintMax(max uint64, field string) uint64 {
	v := r.Uvarint()
	if v > max {
		r.Fail("%s %d is over the limit %d", field, v, max)
		return 0
	}
	return v
}

// Count reads a uvarint count of items that each take at least minSize
// (≥ 1) bytes, so a hostile count cannot make the caller allocate more than
// the input.
func (r *Reader) Count(minSize int, field string) int {
	return int(r.UvarintMax(uint64(len(r.b)/minSize), field))
}

// CountU32 reads a big-endian u32 count no larger than limit of records of
// recordSize bytes that must all fit in what is left.
func (r *Reader) CountU32(limit, recordSize int, field string) int {
	n := r.U32()
	if r.err != nil {
		return 0
	}
	if uint64(n) > uint64(limit) || uint64(n)*uint64(recordSize) > uint64(len(r.b)) {
		r.Fail("%d %s is impossible here", n, field)
		return 0
	}
	return int(n)
}

// BytesMax reads a uvarint length no larger than max, then that many bytes.
// The result aliases the input; nil after a failure.
func (r *Reader) BytesMax(max int, field string) []byte {
	n := r.UvarintMax(uint64(max), field+" length")
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.Fail("%s truncated", field)
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// Bytes reads a length-prefixed byte string bounded only by the input.
func (r *Reader) Bytes(field string) []byte { return r.BytesMax(math.MaxInt, field) }

// StringMax reads a length-prefixed string no longer than max bytes.
func (r *Reader) StringMax(max int, field string) string { return string(r.BytesMax(max, field)) }

// String reads a length-prefixed string bounded only by the input.
func (r *Reader) String(field string) string { return string(r.Bytes(field)) }

// Strings reads what Writer.Strings wrote. Each string takes at least its
// length byte, which bounds the count.
func (r *Reader) Strings(field string) []string {
	n := r.Count(1, field+" count")
	out := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.String(field))
	}
	if r.err != nil {
		return nil
	}
	return out
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
