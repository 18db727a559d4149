package megolm

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestMessageIndexMatchesDecrypt(t *testing.T) {
	out := NewOutboundGroupSession()
	key, err := out.SessionKey()
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInboundGroupSession(key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		ct, err := out.Encrypt([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := MessageIndex(ct)
		_, want, derr := in.Decrypt(ct)
		if err != nil || derr != nil || got != want || got != uint32(i) {
			t.Fatalf("message %d: index %d (%v), decrypt %d (%v)", i, got, err, want, derr)
		}
	}
	for _, bad := range []string{"", "!!", "AwgA", "BAgAEgA" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := MessageIndex(bad); errcode.Of(err) != errcode.BadMessage {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestReplayGuardEntries(t *testing.T) {
	g := NewReplayGuard()
	g.Check("s", 3, "$a")
	g.Check("s", 9, "$b")
	g.Check("t", 1, "$c")
	e := g.Entries("s")
	if len(e) != 2 || e[3] != "$a" || e[9] != "$b" {
		t.Fatalf("%v", e)
	}
	e[3] = "$changed"
	if g.Entries("s")[3] != "$a" {
		t.Fatal("Entries must return a copy")
	}
	if len(g.Entries("none")) != 0 {
		t.Fatal("unknown session")
	}
}
