package bridgewire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// The golden files are shared with tests/wire-golden.test.mjs: this test
// checks the Go half of each format against them, that one the JS half.

var update = flag.Bool("update", false, "rewrite testdata/wire/*.bin from cases.json")

var goldenDir = filepath.Join("..", "..", "testdata", "wire")

type goldenCase struct {
	File     string            `json:"file"`
	Format   string            `json:"format"`
	Args     []json.RawMessage `json:"args"`
	Value    json.RawMessage   `json:"value"`
	Code     string            `json:"code"`
	Message  string            `json:"message"`
	Codes    []string          `json:"codes"`
	Entries  []goldenEntry     `json:"entries"`
	Results  []goldenEntry     `json:"results"`
	Sessions []goldenEntry     `json:"sessions"`
}

type goldenEntry struct {
	Shared          hexBytes `json:"shared"`
	MAC             hexBytes `json:"mac"`
	Ciphertext      hexBytes `json:"ciphertext"`
	Plaintext       hexBytes `json:"plaintext"`
	State           hexBytes `json:"state"`
	RoomID          string   `json:"roomId"`
	SessionID       string   `json:"sessionId"`
	FirstKnownIndex uint32   `json:"firstKnownIndex"`
	BackedUp        bool     `json:"backedUp"`
	Code            string   `json:"code"`
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := hex.DecodeString(s)
	*h = append(hexBytes{}, p...)
	return err
}

// object is an ordered object for the tests ({"$object": [...]}).
type object [][2]any

func (o object) Len() int                  { return len(o) }
func (o object) Field(i int) (string, any) { return o[i][0].(string), o[i][1] }

// goValue turns the JSON notation of cases.json into the Go value the
// encoders take.
func goValue(t *testing.T, raw json.RawMessage) any {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if m, ok := v.(map[string]any); ok {
		var w map[string]json.RawMessage
		json.Unmarshal(raw, &w)
		switch {
		case w["$bytes"] != nil:
			p, err := hex.DecodeString(m["$bytes"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return append([]byte{}, p...)
		case w["$json"] != nil:
			return RawJSON(m["$json"].(string))
		case w["$object"] != nil:
			var pairs [][2]json.RawMessage
			if err := json.Unmarshal(w["$object"], &pairs); err != nil {
				t.Fatal(err)
			}
			o := object{}
			for _, p := range pairs {
				var k string
				json.Unmarshal(p[0], &k)
				o = append(o, [2]any{k, goValue(t, p[1])})
			}
			return o
		}
		t.Fatalf("unknown notation %s", raw)
	}
	if a, ok := v.([]any); ok {
		var items []json.RawMessage
		json.Unmarshal(raw, &items)
		out := make([]any, len(a))
		for i, it := range items {
			out[i] = goValue(t, it)
		}
		return out
	}
	return v
}

func goldenCases(t *testing.T) []goldenCase {
	b, err := os.ReadFile(filepath.Join(goldenDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []goldenCase }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

// encodeGolden is the Go encoding of a case.
func encodeGolden(t *testing.T, c goldenCase) []byte {
	var w Writer
	switch c.File {
	case "direct-request.bin":
		args := make([]any, len(c.Args))
		for i, a := range c.Args {
			args[i] = goValue(t, a)
		}
		return AppendRequest(nil, args...)
	case "direct-answer.bin":
		return AppendAnswer(nil, goValue(t, c.Value))
	case "direct-error.bin":
		return AppendError(nil, errcode.Code(c.Code), c.Message)
	case "backup-batch.bin":
		for _, e := range c.Entries {
			w.SharedEntry(SharedEntry{e.Shared, e.MAC, e.Ciphertext})
		}
	case "backup-batch-answer.bin":
		for _, e := range c.Results {
			var err error
			if e.Code != "" {
				err = errcode.New(errcode.Code(e.Code), "x")
			}
			w.B = AppendBatchResult(w.B, e.Plaintext, err)
		}
	case "prepare-batch.bin":
		for _, e := range c.Entries {
			w.PrepareEntry(PrepareEntry{SharedEntry{e.Shared, e.MAC, e.Ciphertext}, []byte(e.RoomID), []byte(e.SessionID)})
		}
	case "prepared-batch.bin":
		for _, e := range c.Entries {
			if e.Code != "" {
				w.B = AppendPreparedFailure(w.B, errcode.Code(e.Code))
			} else {
				w.B = AppendPreparedKey(w.B, Inbound{RoomID: e.RoomID, SessionID: e.SessionID, FirstKnownIndex: e.FirstKnownIndex, State: e.State})
			}
		}
	case "packed-inbound.bin":
		for _, s := range c.Sessions {
			w.B = AppendPackedInbound(w.B, Inbound{RoomID: s.RoomID, SessionID: s.SessionID, FirstKnownIndex: s.FirstKnownIndex, State: s.State, BackedUp: s.BackedUp})
		}
	default:
		t.Fatalf("no Go encoder for golden case %s", c.File)
	}
	return w.B
}

// decodeGolden checks that the Go decoder of a case reads the file as the
// values of cases.json (for the formats whose reader is in Go).
func decodeGolden(t *testing.T, c goldenCase, b []byte) {
	switch c.File {
	case "direct-request.bin":
		q := NewRequest("golden", b)
		for i, raw := range c.Args {
			switch want := goValue(t, raw).(type) {
			case nil:
				if !q.Null() {
					t.Errorf("arg %d: not null", i)
				}
			case bool:
				if q.tag("b", "a boolean", map[bool]byte{false: TagFalse, true: TagTrue}[want]); q.Err() != nil {
					t.Errorf("arg %d: %v", i, q.Err())
				}
			case float64:
				if got := q.Number("n"); got != want {
					t.Errorf("arg %d: %v, want %v", i, got, want)
				}
			case string:
				if got := q.String("s"); got != want {
					t.Errorf("arg %d: %q, want %q", i, got, want)
				}
			case []byte:
				if got := q.Bytes("b", len(want)); !bytes.Equal(got, want) {
					t.Errorf("arg %d: %x, want %x", i, got, want)
				}
			case RawJSON:
				if got := q.JSON("j"); string(got) != string(want) {
					t.Errorf("arg %d: %s, want %s", i, got, want)
				}
			}
		}
		if q.Err() != nil || len(q.r.b) != 0 {
			t.Fatalf("request: %v, %d bytes left", q.Err(), len(q.r.b))
		}
	case "backup-batch.bin":
		got, err := ReadSharedBatch(b, len(c.Entries))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range c.Entries {
			if want := (SharedEntry{e.Shared, e.MAC, e.Ciphertext}); !reflect.DeepEqual(got[i], want) {
				t.Errorf("entry %d: %x, want %x", i, got[i], want)
			}
		}
	case "backup-batch-answer.bin":
		got, err := ReadBatchResults(b, len(c.Results))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range c.Results {
			if string(got[i].Code) != e.Code || !bytes.Equal(got[i].Plaintext, e.Plaintext) {
				t.Errorf("result %d: %+v, want %+v", i, got[i], e)
			}
		}
		codes := make([]string, len(BatchCodes))
		for i, k := range BatchCodes {
			codes[i] = string(k)
		}
		if !reflect.DeepEqual(codes, c.Codes) {
			t.Errorf("BatchCodes %q, golden %q", codes, c.Codes)
		}
	case "prepare-batch.bin":
		got, err := ReadPrepareBatch(b, len(c.Entries))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range c.Entries {
			want := PrepareEntry{SharedEntry{e.Shared, e.MAC, e.Ciphertext}, []byte(e.RoomID), []byte(e.SessionID)}
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("entry %d: %+v, want %+v", i, got[i], want)
			}
		}
	case "prepared-batch.bin":
		var got []goldenEntry
		err := ReadPrepared(b, func(in Inbound) {
			got = append(got, goldenEntry{RoomID: in.RoomID, SessionID: in.SessionID, FirstKnownIndex: in.FirstKnownIndex, State: in.State})
		}, func(code errcode.Code) { got = append(got, goldenEntry{Code: string(code)}) })
		if err != nil || !reflect.DeepEqual(got, c.Entries) {
			t.Fatalf("got %+v, %v; want %+v", got, err, c.Entries)
		}
	case "packed-inbound.bin":
		got, err := ReadPackedInbound(b, len(c.Sessions))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range c.Sessions {
			want := Inbound{RoomID: s.RoomID, SessionID: s.SessionID, FirstKnownIndex: s.FirstKnownIndex, State: s.State, BackedUp: s.BackedUp}
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("session %d: %+v, want %+v", i, got[i], want)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.File, func(t *testing.T) {
			enc := encodeGolden(t, c)
			path := filepath.Join(goldenDir, c.File)
			if *update {
				if err := os.WriteFile(path, enc, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, b) {
				t.Fatalf("Go encodes\n%x\nthe golden file holds\n%x", enc, b)
			}
			decodeGolden(t, c, b)
		})
	}
}
