package jsbridge

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// request builds a request the way direct.mjs does.
func encodeRequest(args ...any) []byte {
	var b []byte
	for _, a := range args {
		switch x := a.(type) {
		case nil:
			b = append(b, tagNull)
		case bool:
			b = append(b, map[bool]byte{false: tagFalse, true: tagTrue}[x])
		case float64:
			b = binary.LittleEndian.AppendUint64(append(b, tagNumber), math.Float64bits(x))
		case string:
			b = appendString(append(b, tagString), x)
		case []byte:
			b = append(appendU32(append(b, tagBytes), len(x)), x...)
		case RawJSON:
			b = append(appendU32(append(b, tagJSON), len(x)), x...)
		}
	}
	return b
}

func TestRequestReadsWhatTheLoaderWrites(t *testing.T) {
	r := &request{name: "op", b: encodeRequest([]byte{1, 2, 3}, "é\uFEFF", 7.0, nil, RawJSON(`{"a":1}`), "raw")}
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
	if r.err != nil {
		t.Fatal(r.err)
	}
}

func TestRequestErrorsNameTheArgument(t *testing.T) {
	for _, c := range []struct {
		req  []byte
		read func(r *request)
		want string
	}{
		{nil, func(r *request) { r.Bytes("state", -1) }, "state is missing"},
		{encodeRequest("s"), func(r *request) { r.Bytes("state", -1) }, "state must be a Uint8Array, got a string"},
		{encodeRequest([]byte{1}), func(r *request) { r.Bytes("key", 32) }, "key must be 32 bytes, got 1"},
		{encodeRequest(1.5), func(r *request) { r.Int("count") }, "count must be an integer"},
		{encodeRequest(math.Inf(1)), func(r *request) { r.Int("count") }, "count must be an integer"},
		{[]byte{tagString, 9, 0, 0, 0, 'a'}, func(r *request) { r.String("text") }, "text is truncated"},
		{[]byte{tagNumber, 1, 2}, func(r *request) { r.Number("n") }, "n must be a number"},
		{encodeRequest(true), func(r *request) { r.String("text") }, "text must be a string, got a boolean"},
	} {
		r := &request{name: "op", b: c.req}
		c.read(r)
		if r.err == nil || !bytes.Contains([]byte(r.err.Error()), []byte(c.want)) {
			t.Errorf("%x: got %v, want an error containing %q", c.req, r.err, c.want)
		}
	}
}

func TestAppendValueShapes(t *testing.T) {
	got := appendValue(nil, map[string]any{"k": []any{true, 1, "s", []byte{9}, RawJSON("[]"), nil}})
	want := []byte{tagObject, 1, 0, 0, 0, 1, 0, 0, 0, 'k', tagArray, 6, 0, 0, 0, tagTrue}
	want = binary.LittleEndian.AppendUint64(append(want, tagNumber), math.Float64bits(1))
	want = append(want, tagString, 1, 0, 0, 0, 's', tagBytes, 1, 0, 0, 0, 9, tagJSON, 2, 0, 0, 0, '[', ']', tagNull)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
}

// Any bytes: every reader returns or records an error, never panics, and
// never reads past the request.
func FuzzRequest(f *testing.F) {
	f.Add(encodeRequest([]byte("state"), "text", 3.0, nil, RawJSON("{}")), uint8(0))
	f.Add([]byte{tagBytes, 0xff, 0xff, 0xff, 0xff}, uint8(1))
	f.Add([]byte{tagNumber}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, order uint8) {
		r := &request{name: "fuzz", b: b}
		readers := []func(){
			func() { r.Bytes("b", -1) }, func() { r.String("s") }, func() { r.Int("i") },
			func() { r.Null() }, func() { r.JSON("j") }, func() { r.RawString("r") }, func() { r.Bytes("k", 32) },
		}
		for i := 0; i < 8; i++ {
			readers[(int(order)+i*3)%len(readers)]()
		}
	})
}
