package store

import "encoding/binary"

// enc appends the store's binary encoding: uvarints and length-prefixed
// strings. Every field has one encoding, so decode then encode gives back
// the same bytes.
type enc struct{ b []byte }

func (e *enc) u8(v byte)      { e.b = append(e.b, v) }
func (e *enc) uv(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) str(s string)   { e.uv(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) { e.uv(uint64(len(p))); e.b = append(e.b, p...) }

// dec reads what enc wrote. The first failure sticks and later reads return
// zero values, so decoders check d.err once at the end.
type dec struct {
	b    []byte
	err  error
	what string
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = damaged(d.what+": "+format, args...)
	}
	d.b = nil
}

func (d *dec) u8() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uv() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	// Overlong forms would give one value two encodings.
	if n != uvLen(v) {
		d.fail("overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// upTo reads a uvarint that must not exceed max.
func (d *dec) upTo(max uint64, field string) uint64 {
	v := d.uv()
	if v > max {
		d.fail("%s %d is over the limit %d", field, v, max)
		return 0
	}
	return v
}

func (d *dec) raw(max int, field string) []byte {
	n := d.upTo(uint64(max), field+" length")
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.fail("%s truncated", field)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str(max int, field string) string { return string(d.raw(max, field)) }

// fixed reads n bytes with no length prefix.
func (d *dec) fixed(n int, field string) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail("%s truncated", field)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// bytes copies, so decoded records do not pin the whole decrypted buffer.
func (d *dec) bytes(max int, field string) []byte {
	p := d.raw(max, field)
	if p == nil {
		return nil
	}
	return append([]byte{}, p...)
}

// count reads a number of items that each take at least minSize bytes, so a
// hostile count cannot make the decoder allocate more than the input.
func (d *dec) count(minSize int, field string) int {
	return int(d.upTo(uint64(len(d.b)/minSize), field))
}

func (d *dec) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

func uvLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
