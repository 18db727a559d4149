package olm

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// join removes the line breaks of a wrapped vector.
func join(s string) string { return strings.Join(strings.Fields(s), "") }

// wantCode fails unless err carries the given code.
func wantCode(t testing.TB, err error, code errcode.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected a %s error, got success", code)
	}
	if got := errcode.Of(err); got != code {
		t.Fatalf("expected code %s, got %s (%v)", code, got, err)
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// fakeClock is a settable clock for fallback-key tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// sessionState is the complete serialised state, for "unchanged" checks.
func sessionState(s *Session) []byte { return s.marshal() }

func accountState(a *Account) []byte { return a.marshal() }

func sameState(t testing.TB, what string, before, after []byte) {
	t.Helper()
	if !bytes.Equal(before, after) {
		t.Fatalf("%s changed although the operation failed", what)
	}
}

// pair creates Alice's outbound session to Bob using one of Bob's one-time
// keys, and returns Bob's account.
func newPair(t testing.TB) (alice, bob *Account, aliceSession *Session) {
	t.Helper()
	alice, bob = NewAccount(), NewAccount()
	noErr(t, bob.GenerateOneTimeKeys(1))
	var otk string
	for _, k := range bob.UnpublishedOneTimeKeys() {
		otk = k
	}
	s, err := alice.NewOutboundSession(bob.Curve25519Key(), otk)
	noErr(t, err)
	return alice, bob, s
}

// establish returns a pair of sessions after Bob has received Alice's first
// message.
func establish(t testing.TB) (aliceAcct, bobAcct *Account, alice, bob *Session) {
	t.Helper()
	aliceAcct, bobAcct, alice = newPair(t)
	m, err := alice.Encrypt([]byte("hello"))
	noErr(t, err)
	bob, pt, err := bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), m)
	noErr(t, err)
	if string(pt) != "hello" {
		t.Fatalf("got %q", pt)
	}
	return aliceAcct, bobAcct, alice, bob
}

var testEpoch = time.UnixMilli(1_700_000_000_000)
