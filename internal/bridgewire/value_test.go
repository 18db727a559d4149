package bridgewire

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestRequestReadsWhatTheLoaderWrites(t *testing.T) {
	r := NewRequest("op", AppendRequest(nil, []byte{1, 2, 3}, "é\uFEFF", 7.0, nil, RawJSON(`{"a":1}`), "raw"))
	if got := r.Bytes("state", 3); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("bytes: %v", got)
	}
	if got := r.String("text"); got != "é\uFEFF" {
		t.Fatalf("string: %q", got)
	}
	if got := r.Int("n"); got != 7 {
		t.Fatalf("int: %d", got)
	}
	if !r.Null() {
		t.Fatal("null not seen")
	}
	if got := r.JSON("obj"); string(got) != `{"a":1}` {
		t.Fatalf("json: %s", got)
	}
	if got := r.RawString("raw"); string(got) != "raw" {
		t.Fatalf("raw string: %s", got)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
}

func TestRequestErrorsNameTheArgument(t *testing.T) {
	for _, c := range []struct {
		req  []byte
		read func(r *Request)
		want string
	}{
		{nil, func(r *Request) { r.Bytes("state", -1) }, "op: state is missing"},
		{AppendRequest(nil, "s"), func(r *Request) { r.Bytes("state", -1) }, "state must be a Uint8Array, got a string"},
		{AppendRequest(nil, []byte{1}), func(r *Request) { r.Bytes("key", 32) }, "key must be 32 bytes, got 1"},
		{AppendRequest(nil, 1.5), func(r *Request) { r.Int("count") }, "count must be an integer"},
		{AppendRequest(nil, math.Inf(1)), func(r *Request) { r.Int("count") }, "count must be an integer"},
		{[]byte{TagString, 9, 0, 0, 0, 'a'}, func(r *Request) { r.String("text") }, "text is truncated"},
		{[]byte{TagNumber, 1, 2}, func(r *Request) { r.Number("n") }, "n must be a number"},
		{AppendRequest(nil, true), func(r *Request) { r.String("text") }, "text must be a string, got a boolean"},
		{[]byte{9}, func(r *Request) { r.String("text") }, "text must be a string, got another type"},
	} {
		r := NewRequest("op", c.req)
		c.read(r)
		if r.Err() == nil || !bytes.Contains([]byte(r.Err().Error()), []byte(c.want)) {
			t.Errorf("%x: got %v, want an error containing %q", c.req, r.Err(), c.want)
		}
	}
}

func TestAppendValueShapes(t *testing.T) {
	got := AppendValue(nil, map[string]any{"k": []any{true, 1, "s", []byte{9}, RawJSON("[]"), nil}})
	want := []byte{TagObject, 1, 0, 0, 0, 1, 0, 0, 0, 'k', TagArray, 6, 0, 0, 0, TagTrue}
	want = binary.LittleEndian.AppendUint64(append(want, TagNumber), math.Float64bits(1))
	want = append(want, TagString, 1, 0, 0, 0, 's', TagBytes, 1, 0, 0, 0, 9, TagJSON, 2, 0, 0, 0, '[', ']', TagNull)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
}

func TestSecretTextIsWiped(t *testing.T) {
	s := SecretText("plain")
	if got := AppendValue(nil, s); !bytes.Equal(got, []byte{TagString, 5, 0, 0, 0, 'p', 'l', 'a', 'i', 'n'}) {
		t.Fatalf("%x", got)
	}
	if !bytes.Equal(s, make([]byte, 5)) {
		t.Fatal("SecretText not wiped")
	}
}

// Any bytes: every reader returns or records an error, never panics, and
// never reads past the request.
func FuzzRequest(f *testing.F) {
	f.Add(AppendRequest(nil, []byte("state"), "text", 3.0, nil, RawJSON("{}")), uint8(0))
	f.Add([]byte{TagBytes, 0xff, 0xff, 0xff, 0xff}, uint8(1))
	f.Add([]byte{TagNumber}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, order uint8) {
		r := NewRequest("fuzz", b)
		readers := []func(){
			func() { r.Bytes("b", -1) }, func() { r.String("s") }, func() { r.Int("i") },
			func() { r.Null() }, func() { r.JSON("j") }, func() { r.RawString("r") }, func() { r.Bytes("k", 32) },
		}
		for i := 0; i < 8; i++ {
			readers[(int(order)+i*3)%len(readers)]()
		}
	})
}
