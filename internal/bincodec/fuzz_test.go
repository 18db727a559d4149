package bincodec

import (
	"bytes"
	"errors"
	"testing"
)

// replay reads data with the reader operations named by ops, one byte each,
// then writes what it read with the matching Writer operations. Where the
// read succeeds the two byte strings must be equal: that is the "one
// encoding per value" promise the stored formats rely on.
func replay(t *testing.T, ops, data []byte) {
	r := NewReader(data, "fuzz")
	var w Writer
	for _, op := range ops {
		switch op % 11 {
		case 0:
			w.U8(r.U8())
		case 1:
			w.Bool(r.Bool())
		case 2:
			w.U32(r.U32())
		case 3:
			w.U64(r.U64())
		case 4:
			w.Uvarint(r.Uvarint())
		case 5:
			w.Varint(r.Varint())
		case 6:
			w.Bytes(r.BytesMax(16, "bytes"))
		case 7:
			w.String(r.String("string"))
		case 8:
			w.Strings(r.Strings("strings"))
		case 9:
			w.Raw(r.Fixed(3, "fixed"))
		case 10:
			n := r.Count(2, "count")
			w.Uvarint(uint64(n))
			for range n {
				w.Raw(r.Fixed(2, "item"))
			}
		}
	}
	err := r.Finish()
	if err != nil {
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("error does not wrap ErrDamaged: %v", err)
		}
		if r.Len() != 0 || r.U8() != 0 || r.Uvarint() != 0 || r.Err() != err {
			t.Fatal("a failed reader still reads")
		}
		return
	}
	if !bytes.Equal(w.B, data) {
		t.Fatalf("ops %x: read %x, wrote back %x", ops, data, w.B)
	}
}

func FuzzReader(f *testing.F) {
	var w Writer
	w.U8(7)
	w.Bool(true)
	w.U32(0xdeadbeef)
	w.U64(1 << 40)
	w.Uvarint(300)
	w.Varint(-300)
	w.Bytes([]byte("abc"))
	w.String("hello")
	w.Strings([]string{"a", "", "bc"})
	w.Raw([]byte{1, 2, 3})
	w.Uvarint(2)
	w.Raw([]byte{9, 9, 8, 8})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, w.B)
	f.Add([]byte{4}, []byte{0x80, 0x00})       // overlong
	f.Add([]byte{1}, []byte{2})                // bad boolean
	f.Add([]byte{6}, []byte{0x11})             // over the limit
	f.Add([]byte{8}, []byte{0xff, 0xff, 0x03}) // hostile count
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		replay(t, ops, data)
	})
}

func TestStrict(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		read func(*Reader)
	}{
		{"overlong uvarint", []byte{0x81, 0x00}, func(r *Reader) { r.Uvarint() }},
		{"overlong zero", []byte{0x80, 0x00}, func(r *Reader) { r.Varint() }},
		{"unterminated varint", []byte{0x80}, func(r *Reader) { r.Uvarint() }},
		{"boolean 2", []byte{2}, func(r *Reader) { r.Bool() }},
		{"boolean 0xff", []byte{0xff}, func(r *Reader) { r.Bool() }},
		{"length past the end", []byte{5, 'a'}, func(r *Reader) { r.String("s") }},
		{"length over the limit", []byte{3, 'a', 'b', 'c'}, func(r *Reader) { r.StringMax(2, "s") }},
		{"count over the input", []byte{3, 0, 0}, func(r *Reader) { r.Count(1, "n") }},
		{"u32 count over the limit", []byte{0, 0, 0, 2, 0, 0}, func(r *Reader) { r.CountU32(1, 1, "n") }},
		{"trailing byte", []byte{1, 0}, func(r *Reader) { r.Bool() }},
		{"truncated u32", []byte{1, 2, 3}, func(r *Reader) { r.U32() }},
	} {
		r := NewReader(c.data, "test")
		c.read(r)
		if err := r.Finish(); err == nil || !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: got %v, want a damaged-encoding error", c.name, err)
		}
	}
}

func TestFirstErrorSticks(t *testing.T) {
	r := NewReader([]byte{2, 1}, "rec")
	r.Bool()
	r.Fail("later")
	if r.Bool() || r.Err().Error() != "rec: bad boolean 2" {
		t.Fatalf("got %v", r.Err())
	}
	if b := r.Fixed(4, "x"); len(b) != 4 {
		t.Fatal("Fixed after a failure must still return n bytes")
	}
}
