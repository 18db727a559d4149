package olm

import (
	"fmt"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/errcode"
)

const day = 24 * time.Hour

// currentFallback returns the current fallback key's id and public key.
func currentFallback(t *testing.T, a *Account) (string, string) {
	t.Helper()
	st := a.FallbackKeyStatus()
	if len(st) == 0 || !st[0].Current {
		t.Fatalf("no current fallback key: %+v", st)
	}
	return st[0].KeyID, st[0].PublicKey
}

func heldIDs(a *Account) []string {
	var ids []string
	for _, k := range a.FallbackKeyStatus() {
		ids = append(ids, k.KeyID)
	}
	return ids
}

func TestFallbackRotationRules(t *testing.T) {
	clock := &fakeClock{t: testEpoch}
	a := NewAccount()
	a.Clock = clock.now
	unused := []string{"signed_curve25519"}

	// None yet → generate.
	if a.FallbackKeyRotationReason(nil) == "" {
		t.Error("no key: should generate")
	}
	rotated, err := a.RotateFallbackKeyIfNeeded(unused)
	noErr(t, err)
	id1, pub1 := currentFallback(t, a)
	if !rotated || a.UnpublishedFallbackKey()[id1] != pub1 {
		t.Fatalf("first key: %v %v", rotated, a.UnpublishedFallbackKey())
	}
	// Not published yet: the server not listing it is expected, no rotation.
	if r, _ := a.RotateFallbackKeyIfNeeded([]string{}); r {
		t.Error("rotated an unpublished key because the server did not list it")
	}
	clock.advance(time.Minute)
	a.MarkKeysAsPublished()
	if st := a.FallbackKeyStatus()[0]; !st.Published.Equal(testEpoch.Add(time.Minute)) || !st.Created.Equal(testEpoch) {
		t.Errorf("times %+v", st)
	}
	if len(a.UnpublishedFallbackKey()) != 0 {
		t.Error("still unpublished")
	}
	// Listed as unused, or the field absent: keep it.
	for _, list := range [][]string{unused, {"other", "signed_curve25519"}, nil} {
		if r, _ := a.RotateFallbackKeyIfNeeded(list); r {
			t.Errorf("rotated with unused types %v", list)
		}
	}
	// The server handed it out → rotate.
	rotated, _ = a.RotateFallbackKeyIfNeeded([]string{})
	id2, _ := currentFallback(t, a)
	if !rotated || id2 == id1 {
		t.Fatal("did not rotate when the server stopped listing the key")
	}
	st := a.FallbackKeyStatus()
	if len(st) != 2 || st[1].KeyID != id1 || !st[1].Replaced.Equal(clock.t) || st[1].Current {
		t.Errorf("status %+v", st)
	}
	a.MarkKeysAsPublished()

	// Age: just under the period keeps, the period rotates.
	clock.advance(DefaultFallbackRotationPeriod - time.Millisecond)
	if r, _ := a.RotateFallbackKeyIfNeeded(unused); r {
		t.Error("rotated before the period")
	}
	clock.advance(time.Millisecond)
	if r, _ := a.RotateFallbackKeyIfNeeded(unused); !r {
		t.Error("did not rotate after the period")
	}
	// A custom period.
	a.FallbackRotationPeriod = time.Hour
	clock.advance(time.Hour)
	if r, _ := a.RotateFallbackKeyIfNeeded(nil); !r {
		t.Error("custom rotation period ignored")
	}

	// Used → rotate.
	a.MarkKeysAsPublished()
	_, pub := currentFallback(t, a)
	alice := NewAccount()
	s, err := alice.NewOutboundSession(a.Curve25519Key(), pub)
	noErr(t, err)
	m, _ := s.Encrypt([]byte("x"))
	if a.FallbackKeyRotationReason(unused) != "" {
		t.Fatal("rotation due before use")
	}
	_, _, err = a.NewInboundSession(alice.Curve25519Key(), m)
	noErr(t, err)
	if r, _ := a.RotateFallbackKeyIfNeeded(unused); !r {
		t.Error("did not rotate after use")
	}
}

func TestFallbackRetention(t *testing.T) {
	clock := &fakeClock{t: testEpoch}
	bob := NewAccount()
	bob.Clock = clock.now
	alice := NewAccount()

	// Weekly rotation for four weeks: keys K1..K5, and for each a pre-key
	// message made with it while it was current.
	msgs := map[string]Message{}
	var ids []string
	for week := range 5 {
		if week > 0 {
			clock.advance(7 * day)
		}
		rotated, err := bob.RotateFallbackKeyIfNeeded(nil)
		noErr(t, err)
		if !rotated {
			t.Fatalf("week %d: no rotation", week)
		}
		bob.MarkKeysAsPublished()
		id, pub := currentFallback(t, bob)
		ids = append(ids, id)
		s, err := alice.NewOutboundSession(bob.Curve25519Key(), pub)
		noErr(t, err)
		msgs[id], err = s.Encrypt(fmt.Appendf(nil, "to %s", id))
		noErr(t, err)
	}
	// Day 28: K1 was replaced on day 7, K2 on day 14, ..., all inside 30 days.
	if got := heldIDs(bob); len(got) != 5 {
		t.Fatalf("held %v", got)
	}
	// Day 37 + 1 ms: K1 (replaced day 7) expires; K2 (day 14) stays.
	clock.advance(9*day + time.Millisecond)
	bob.FallbackRotationPeriod = 365 * day // only purge from here on
	if r, _ := bob.RotateFallbackKeyIfNeeded(nil); r {
		t.Fatal("unexpected rotation")
	}
	want := []string{ids[4], ids[3], ids[2], ids[1]}
	if got := heldIDs(bob); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	// Exactly at the edge of the window a key is still held; 1 ms later only
	// the most recently replaced one is.
	bob2 := NewAccount()
	bob2.Clock = clock.now
	bob2.FallbackRotationPeriod = 365 * day
	for range 3 {
		noErr(t, bob2.GenerateFallbackKey()) // K1, K2 replaced now
	}
	clock.advance(DefaultFallbackRetention)
	bob2.RotateFallbackKeyIfNeeded(nil)
	if n := len(bob2.FallbackKeyStatus()); n != 3 {
		t.Fatalf("at the edge: %d keys", n)
	}
	clock.advance(time.Millisecond)
	bob2.RotateFallbackKeyIfNeeded(nil)
	if got := heldIDs(bob2); fmt.Sprint(got) != "[AAAAAw AAAAAg]" {
		t.Fatalf("after the edge: %v", got)
	}
	clock.advance(-DefaultFallbackRetention - time.Millisecond)

	// A message to a purged key fails; to every retained key it decrypts.
	before := accountState(bob)
	_, _, err := bob.NewInboundSession(alice.Curve25519Key(), msgs[ids[0]])
	wantCode(t, err, errcode.UnknownOneTimeKey)
	sameState(t, "account", before, accountState(bob))
	for _, id := range ids[1:] {
		_, pt, err := bob.NewInboundSession(alice.Curve25519Key(), msgs[id])
		noErr(t, err)
		if string(pt) != "to "+id {
			t.Fatalf("got %q", pt)
		}
	}
	// Old keys that were used record it, without forcing a rotation (only
	// the current key's use does).
	for _, k := range bob.FallbackKeyStatus() {
		if k.Used.IsZero() {
			t.Errorf("key %s not marked used", k.KeyID)
		}
	}

	// Months without activity: everything expires except the most recently
	// replaced key, which is always kept, so the backlog addressed to it
	// still decrypts.
	clock.advance(100 * day)
	bob.RotateFallbackKeyIfNeeded(nil)
	// K5 is current and was used above; that rotates it now: K6 current,
	// K5 the most recently replaced.
	if got := heldIDs(bob); len(got) != 2 || got[1] != ids[4] {
		t.Fatalf("held %v", got)
	}
	clock.advance(100 * day)
	bob.RotateFallbackKeyIfNeeded(nil)
	if got := heldIDs(bob); len(got) != 2 || got[1] != ids[4] {
		t.Fatalf("the most recently replaced key was purged: held %v", got)
	}
	_, pt, err := bob.NewInboundSession(alice.Curve25519Key(), msgs[ids[4]])
	noErr(t, err)
	if string(pt) != "to "+ids[4] {
		t.Fatalf("got %q", pt)
	}
	for _, id := range ids[:4] {
		_, _, err := bob.NewInboundSession(alice.Curve25519Key(), msgs[id])
		wantCode(t, err, errcode.UnknownOneTimeKey)
	}

	// A shorter configured window.
	bob.FallbackRetention = time.Hour
	noErr(t, bob.GenerateFallbackKey()) // K6 replaced now: K6, K5 old
	clock.advance(time.Hour + time.Millisecond)
	bob.RotateFallbackKeyIfNeeded(nil)
	if got := heldIDs(bob); len(got) != 2 {
		t.Fatalf("held %v", got)
	}
}
