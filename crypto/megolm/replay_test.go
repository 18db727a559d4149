package megolm

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestReplayGuard(t *testing.T) {
	g := NewReplayGuard()
	ok := func(sid string, i uint32, ev string) {
		t.Helper()
		if err := g.Check(sid, i, ev); err != nil {
			t.Fatalf("Check(%s, %d, %s): %v", sid, i, ev, err)
		}
	}
	ok("s1", 0, "$a")
	ok("s1", 0, "$a") // same event decrypted again
	ok("s1", 1, "$b")
	ok("s2", 0, "$c") // same index, other session
	wantCode(t, "replay", g.Check("s1", 0, "$x"), errcode.ReplayedMessage)
	ok("s1", 0, "$a") // the replay did not overwrite the record
	wantCode(t, "empty event id", g.Check("s1", 5, ""), errcode.BadInput)
	wantCode(t, "empty session id", g.Check("", 5, "$e"), errcode.BadInput)
	wantCode(t, "bad UTF-8", g.Check("s1", 5, "\xff"), errcode.BadInput)
	ok("s3", 4294967295, "$max")
	if g.Len() != 4 {
		t.Fatalf("Len %d", g.Len())
	}

	data := g.Export()
	want := `{"sessions":{"s1":{"0":"$a","1":"$b"},"s2":{"0":"$c"},"s3":{"4294967295":"$max"}},"version":1}`
	if string(data) != want {
		t.Fatalf("Export %s", data)
	}
	h, err := ImportReplayGuard(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(h.Export()) != want {
		t.Fatal("round trip differs")
	}
	wantCode(t, "imported replay", h.Check("s1", 1, "$y"), errcode.ReplayedMessage)
	h.forget("s1")
	if err := h.Check("s1", 1, "$y"); err != nil || h.Len() != 3 {
		t.Fatalf("after forget: %v, %d", err, h.Len())
	}

	for _, bad := range []string{
		``, `null`, `[]`, `{}`, `{"version":2,"sessions":{}}`,
		`{"version":1,"sessions":{"s":{"x":"$a"}}}`,
		`{"version":1,"sessions":{"s":{"01":"$a"}}}`,
		`{"version":1,"sessions":{"s":{"4294967296":"$a"}}}`,
		`{"version":1,"sessions":{"s":{"-1":"$a"}}}`,
		`{"version":1,"sessions":{"s":{"1":""}}}`,
		`{"version":1,"sessions":{"":{"1":"$a"}}}`,
		`{"version":1,"sessions":{"s":{"1":5}}}`,
		`{"version":1,"sessions":[]}`,
	} {
		_, err := ImportReplayGuard([]byte(bad))
		wantCode(t, "import "+bad, err, errcode.BadInput)
	}
	if g, err := ImportReplayGuard([]byte(`{"version":1}`)); err != nil || g.Len() != 0 {
		t.Fatalf("empty guard: %v", err)
	}
}
