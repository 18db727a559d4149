package bridgewire

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

type preparedEntry struct {
	in   Inbound
	code errcode.Code
}

func readAll(b []byte) ([]preparedEntry, error) {
	var out []preparedEntry
	err := ReadPrepared(b,
		func(in Inbound) { out = append(out, preparedEntry{in: in}) },
		func(c errcode.Code) { out = append(out, preparedEntry{code: c}) })
	return out, err
}

func appendAll(entries []preparedEntry) []byte {
	var b []byte
	for _, e := range entries {
		if e.code != "" {
			b = AppendPreparedFailure(b, e.code)
		} else {
			b = AppendPreparedKey(b, e.in)
		}
	}
	return b
}

func TestPreparedRoundTrip(t *testing.T) {
	want := []preparedEntry{
		{in: Inbound{RoomID: "!a:x", SessionID: "s1", FirstKnownIndex: 7, State: []byte("state one")}},
		{code: errcode.BadMessage},
		{code: errcode.Code("BAD_BASE64")},
		{in: Inbound{RoomID: "!b:x", SessionID: "s2", State: []byte{}}},
	}
	var b []byte
	boundary := map[int]bool{}
	for _, e := range want {
		b = append(b, appendAll([]preparedEntry{e})...)
		boundary[len(b)] = true
	}
	got, err := readAll(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	// Every truncation is refused before anything is passed on.
	for n := 1; n < len(b); n++ {
		if entries, err := readAll(b[:n]); err == nil {
			if boundary[n] {
				continue
			}
			t.Fatalf("truncated at %d: accepted %+v", n, entries)
		} else if entries != nil {
			t.Fatalf("truncated at %d: passed on %d entries before failing", n, len(entries))
		}
	}
	// A code that does not look like one becomes INTERNAL.
	got, err = readAll([]byte{preparedFailure, 3, 'a', '\n', 0})
	if err != nil || got[0].code != errcode.Internal {
		t.Fatalf("odd code: %+v %v", got, err)
	}
	if _, err := readAll([]byte{7}); errcode.Of(err) != errcode.BadInput {
		t.Fatalf("unknown kind: %v", err)
	}
}

func TestBatchCounts(t *testing.T) {
	var w Writer
	for i := range 3 {
		w.PrepareEntry(PrepareEntry{SharedEntry{make([]byte, 32), make([]byte, 8), []byte{byte(i)}}, []byte("!r:x"), []byte("s")})
	}
	if got, err := ReadPrepareBatch(w.B, 3); err != nil || len(got) != 3 || got[2].Ciphertext[0] != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	for _, n := range []int{-1, 2, 4, 1 << 40} {
		if _, err := ReadPrepareBatch(w.B, n); errcode.Of(err) != errcode.BadInput {
			t.Errorf("count %d: %v", n, err)
		}
	}
	if _, err := ReadPrepareBatch(w.B[:len(w.B)-1], 3); errcode.Of(err) != errcode.BadInput {
		t.Errorf("truncated: %v", err)
	}
	var s Writer
	s.SharedEntry(SharedEntry{make([]byte, 32), make([]byte, 8), []byte("ct")})
	if _, err := ReadSharedBatch(append(s.B, 0), 1); errcode.Of(err) != errcode.BadInput {
		t.Errorf("trailing byte: %v", err)
	}
	if BatchStatus(errcode.Code("SOMETHING_ELSE")) != BatchStatus(errcode.Internal) || BatchStatus("") == 0 {
		t.Error("an unlisted code must be sent as INTERNAL")
	}
}

func TestPackedInboundIsStrict(t *testing.T) {
	in := Inbound{RoomID: "!r:x", SessionID: "s", State: []byte{1}, FirstKnownIndex: 3, BackedUp: true}
	b := AppendPackedInbound(nil, in)
	if got, err := ReadPackedInbound(b, 1); err != nil || !reflect.DeepEqual(got, []Inbound{in}) {
		t.Fatalf("%+v %v", got, err)
	}
	bad := bytes.Clone(b)
	bad[len(bad)-1] = 2
	for name, c := range map[string]struct {
		b []byte
		n int
	}{"boolean 2": {bad, 1}, "count too large": {b, 2}, "negative count": {b, -1}, "trailing": {append(bytes.Clone(b), 0), 1}, "truncated": {b[:len(b)-1], 1}} {
		if _, err := ReadPackedInbound(c.b, c.n); errcode.Of(err) != errcode.BadInput {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzPrepared(f *testing.F) {
	f.Add(AppendPreparedFailure(AppendPreparedKey(nil, Inbound{RoomID: "!a:x", SessionID: "s", State: []byte("x")}), errcode.WrongKey))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := readAll(b)
		if err != nil {
			return
		}
		if got, err := readAll(appendAll(entries)); err != nil || !reflect.DeepEqual(got, entries) {
			t.Fatalf("re-encoded batch reads as %+v, %v; want %+v", got, err, entries)
		}
	})
}

// The loader-written formats: whatever decodes encodes back to the same
// bytes, and nothing panics.
func FuzzBatches(f *testing.F) {
	var w Writer
	w.PrepareEntry(PrepareEntry{SharedEntry{make([]byte, 32), make([]byte, 8), []byte("ct")}, []byte("!r:x"), []byte("s")})
	f.Add(w.B, uint8(1), uint8(0))
	f.Add(AppendPackedInbound(nil, Inbound{RoomID: "!r", SessionID: "s", State: []byte{1}, BackedUp: true}), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, count, kind uint8) {
		var again Writer
		switch kind % 3 {
		case 0:
			entries, err := ReadPrepareBatch(b, int(count))
			if err != nil {
				return
			}
			for _, e := range entries {
				again.PrepareEntry(e)
			}
		case 1:
			entries, err := ReadSharedBatch(b, int(count))
			if err != nil {
				return
			}
			for _, e := range entries {
				again.SharedEntry(e)
			}
		case 2:
			sessions, err := ReadPackedInbound(b, int(count))
			if err != nil {
				return
			}
			for _, s := range sessions {
				again.B = AppendPackedInbound(again.B, s)
			}
		}
		if !bytes.Equal(again.B, b) {
			t.Fatalf("kind %d: read %x, wrote back %x", kind%3, b, again.B)
		}
	})
}
