package olm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

func TestSessionWithOneTimeKey(t *testing.T) {
	aliceAcct, bobAcct, alice := newPair(t)
	if bobAcct.OneTimeKeyCount() != 1 {
		t.Fatal("setup")
	}
	m0, err := alice.Encrypt([]byte("first"))
	noErr(t, err)
	m1, err := alice.Encrypt([]byte("second"))
	noErr(t, err)
	if m0.Type != MessageTypePreKey || m1.Type != MessageTypePreKey {
		t.Fatalf("Alice must send pre-key messages until she hears back, got %d %d", m0.Type, m1.Type)
	}
	if !alice.MatchesInbound(m0) || !alice.MatchesInboundFrom(aliceAcct.Curve25519Key(), m0) {
		t.Error("Alice's own pre-key message does not match her session")
	}

	bob, pt, err := bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), m0)
	noErr(t, err)
	if string(pt) != "first" {
		t.Fatalf("got %q", pt)
	}
	if bobAcct.OneTimeKeyCount() != 0 {
		t.Error("the one-time key was not removed after use")
	}
	if bob.ID() != alice.ID() || len(bob.ID()) != 43 {
		t.Errorf("session ids %s / %s", alice.ID(), bob.ID())
	}
	if !bob.MatchesInbound(m1) || !bob.MatchesInboundFrom(aliceAcct.Curve25519Key(), m1) || bob.MatchesInboundFrom(bobAcct.Curve25519Key(), m1) {
		t.Error("MatchesInbound")
	}
	pt, err = bob.Decrypt(m1)
	noErr(t, err)
	if string(pt) != "second" {
		t.Fatalf("got %q", pt)
	}

	r, err := bob.Encrypt([]byte("reply"))
	noErr(t, err)
	if r.Type != MessageTypeNormal {
		t.Error("Bob must answer with normal messages")
	}
	if bob.MatchesInbound(r) {
		t.Error("a normal message matched as a pre-key message")
	}
	pt, err = alice.Decrypt(r)
	noErr(t, err)
	if string(pt) != "reply" || !alice.HasReceivedMessage() {
		t.Fatalf("got %q", pt)
	}
	m2, err := alice.Encrypt([]byte("third"))
	noErr(t, err)
	if m2.Type != MessageTypeNormal {
		t.Error("Alice must switch to normal messages after a reply")
	}
	pt, err = bob.Decrypt(m2)
	noErr(t, err)
	if string(pt) != "third" {
		t.Fatalf("got %q", pt)
	}

	// A second pre-key message to the used one-time key: unknown now.
	_, _, err = bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), m1)
	wantCode(t, err, errcode.UnknownOneTimeKey)

	// Empty and long plaintexts.
	for _, n := range []int{0, 15, 16, 17, 5000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		m, err := bob.Encrypt(msg)
		noErr(t, err)
		pt, err := alice.Decrypt(m)
		noErr(t, err)
		if !bytes.Equal(pt, msg) {
			t.Errorf("length %d: round trip failed", n)
		}
	}
}

func TestSessionWithFallbackKey(t *testing.T) {
	alice, bob := NewAccount(), NewAccount()
	clock := &fakeClock{t: testEpoch}
	bob.Clock = clock.now
	noErr(t, bob.GenerateFallbackKey())
	var fk string
	for _, k := range bob.UnpublishedFallbackKey() {
		fk = k
	}
	bob.MarkKeysAsPublished()

	// Two peers use the same fallback key; it is not removed.
	for i := range 2 {
		a, err := alice.NewOutboundSession(bob.Curve25519Key(), fk)
		noErr(t, err)
		m, err := a.Encrypt([]byte("via fallback"))
		noErr(t, err)
		clock.advance(time.Second)
		b, pt, err := bob.NewInboundSession(alice.Curve25519Key(), m)
		noErr(t, err)
		if string(pt) != "via fallback" || b.ID() != a.ID() {
			t.Fatalf("got %q", pt)
		}
		st := bob.FallbackKeyStatus()
		if len(st) != 1 || !st[0].Used.Equal(testEpoch.Add(time.Second)) {
			t.Errorf("after session %d: %+v", i, st)
		}
		r, err := b.Encrypt([]byte("ok"))
		noErr(t, err)
		if pt, err := a.Decrypt(r); err != nil || string(pt) != "ok" {
			t.Fatalf("reply: %q %v", pt, err)
		}
	}
	// Used ⇒ rotation; the old key still decrypts.
	if reason := bob.FallbackKeyRotationReason(nil); reason == "" {
		t.Error("a used fallback key should be rotated")
	}
	rotated, err := bob.RotateFallbackKeyIfNeeded(nil)
	noErr(t, err)
	if !rotated || len(bob.FallbackKeyStatus()) != 2 {
		t.Fatalf("rotation: %v %+v", rotated, bob.FallbackKeyStatus())
	}
	a, err := alice.NewOutboundSession(bob.Curve25519Key(), fk)
	noErr(t, err)
	m, err := a.Encrypt([]byte("late"))
	noErr(t, err)
	_, pt, err := bob.NewInboundSession(alice.Curve25519Key(), m)
	noErr(t, err)
	if string(pt) != "late" {
		t.Fatalf("got %q", pt)
	}
}

func TestInboundSessionFailuresChangeNothing(t *testing.T) {
	aliceAcct, bobAcct, alice := newPair(t)
	m, err := alice.Encrypt([]byte("hi"))
	noErr(t, err)
	raw, _ := b64.Decode(m.Body)
	before := accountState(bobAcct)

	// Last byte is part of the embedded message's MAC.
	bad := append([]byte{}, raw...)
	bad[len(bad)-1] ^= 1
	_, _, err = bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), Message{Type: MessageTypePreKey, Body: b64.Encode(bad)})
	wantCode(t, err, errcode.BadMAC)
	sameState(t, "account", before, accountState(bobAcct))

	// Wrong expected sender.
	_, _, err = bobAcct.NewInboundSession(NewAccount().Curve25519Key(), m)
	wantCode(t, err, errcode.BadMessage)
	// Wrong type, bad base64, bad identity key argument.
	_, _, err = bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), Message{Type: MessageTypeNormal, Body: m.Body})
	wantCode(t, err, errcode.BadInput)
	_, _, err = bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), Message{Type: MessageTypePreKey, Body: "!!"})
	wantCode(t, err, errcode.BadBase64)
	_, _, err = bobAcct.NewInboundSession("AAAA", m)
	wantCode(t, err, errcode.BadInput)
	sameState(t, "account", before, accountState(bobAcct))

	// Low-order base key inside the pre-key message.
	pk, _ := parsePreKeyMessage(raw)
	low := encodePreKeyMessage(pk.oneTimeKey, make([]byte, 32), pk.identityKey, pk.message)
	_, _, err = bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), Message{Type: MessageTypePreKey, Body: b64.Encode(low)})
	wantCode(t, err, errcode.BadMessage)
	sameState(t, "account", before, accountState(bobAcct))

	// The genuine message still works.
	_, pt, err := bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), m)
	noErr(t, err)
	if string(pt) != "hi" {
		t.Fatal(string(pt))
	}
}

func TestOutboundSessionBadKeys(t *testing.T) {
	a, b := NewAccount(), NewAccount()
	_, err := a.NewOutboundSession(b.Curve25519Key(), b64.Encode(make([]byte, 32)))
	wantCode(t, err, errcode.BadInput)
	_, err = a.NewOutboundSession(b.Curve25519Key(), "AAAA")
	wantCode(t, err, errcode.BadInput)
	_, err = a.NewOutboundSession("not base64!", b.Curve25519Key())
	wantCode(t, err, errcode.BadBase64)
}

func TestDecryptFailuresChangeNothing(t *testing.T) {
	_, _, alice, bob := establish(t)
	r, err := bob.Encrypt([]byte("reply"))
	noErr(t, err)
	raw, _ := b64.Decode(r.Body)
	before := sessionState(alice)
	for i := range raw {
		bad := append([]byte{}, raw...)
		bad[i] ^= 0x40
		_, err := alice.Decrypt(Message{Type: MessageTypeNormal, Body: b64.Encode(bad)})
		if err == nil {
			t.Fatalf("flipping byte %d was accepted", i)
		}
		if c := errcode.Of(err); c != errcode.BadMAC && c != errcode.BadMessage && c != errcode.UnknownMessageIndex {
			t.Fatalf("byte %d: code %s (%v)", i, c, err)
		}
		sameState(t, "session", before, sessionState(alice))
	}
	// Truncation, wrong type number, a pre-key message from another session.
	_, err = alice.Decrypt(Message{Type: MessageTypeNormal, Body: b64.Encode(raw[:len(raw)-1])})
	wantCode(t, err, errcode.BadMessage)
	_, err = alice.Decrypt(Message{Type: 7, Body: r.Body})
	wantCode(t, err, errcode.BadInput)
	_, _, other := newPair(t)
	om, _ := other.Encrypt([]byte("x"))
	_, err = bob.Decrypt(om)
	wantCode(t, err, errcode.BadMessage)
	sameState(t, "session", before, sessionState(alice))

	pt, err := alice.Decrypt(r)
	noErr(t, err)
	if string(pt) != "reply" {
		t.Fatal(string(pt))
	}
}

func TestDuplicatesRejected(t *testing.T) {
	_, _, alice, bob := establish(t)
	var msgs []Message
	for i := range 5 {
		m, err := bob.Encrypt(fmt.Appendf(nil, "m%d", i))
		noErr(t, err)
		msgs = append(msgs, m)
	}
	// Deliver 4 first (keys for 0..3 are kept), then 1, then both again.
	for _, i := range []int{4, 1} {
		if _, err := alice.Decrypt(msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	before := sessionState(alice)
	for _, i := range []int{4, 1} {
		_, err := alice.Decrypt(msgs[i])
		wantCode(t, err, errcode.UnknownMessageIndex)
	}
	sameState(t, "session", before, sessionState(alice))
	// The initial pre-key message replayed to Bob's session.
	for _, i := range []int{0, 2, 3} {
		if _, err := alice.Decrypt(msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(alice.ratchet.skipped) != 0 {
		t.Errorf("%d skipped keys left", len(alice.ratchet.skipped))
	}
}

func TestPreKeyReplayToSession(t *testing.T) {
	aliceAcct, bobAcct, alice := newPair(t)
	m, _ := alice.Encrypt([]byte("once"))
	bob, _, err := bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), m)
	noErr(t, err)
	_, err = bob.Decrypt(m)
	wantCode(t, err, errcode.UnknownMessageIndex)
}

// chatter is a two-party simulation with out-of-order delivery, drops,
// duplicates and pickling.
type party struct {
	name     string
	session  *Session
	inFlight []flight // messages sent to this party, not yet delivered
}

type flight struct {
	m  Message
	pt string
}

func TestConversationOutOfOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	aliceAcct, bobAcct, aliceSession := newPair(t)
	first, err := aliceSession.Encrypt([]byte("hello"))
	noErr(t, err)
	bobSession, _, err := bobAcct.NewInboundSession(aliceAcct.Curve25519Key(), first)
	noErr(t, err)
	alice := &party{name: "alice", session: aliceSession}
	bob := &party{name: "bob", session: bobSession}
	var delivered []flight
	sent, dropped, dups, outOfOrder := 0, 0, 0, 0
	pickleKey := bytes.Repeat([]byte{7}, 32)

	for sent < 200 {
		from, to := alice, bob
		if rng.IntN(2) == 0 {
			from, to = bob, alice
		}
		// Send a small burst.
		for range 1 + rng.IntN(3) {
			pt := fmt.Sprintf("%s #%d", from.name, sent)
			m, err := from.session.Encrypt([]byte(pt))
			noErr(t, err)
			sent++
			if rng.IntN(10) == 0 {
				dropped++ // never delivered
				continue
			}
			to.inFlight = append(to.inFlight, flight{m, pt})
		}
		// Deliver some of what is in flight to either party, in random order.
		for _, p := range []*party{alice, bob} {
			for len(p.inFlight) > 0 && rng.IntN(3) != 0 {
				i := rng.IntN(len(p.inFlight))
				if i != 0 {
					outOfOrder++
				}
				f := p.inFlight[i]
				p.inFlight = append(p.inFlight[:i], p.inFlight[i+1:]...)
				got, err := p.session.Decrypt(f.m)
				if err != nil {
					t.Fatalf("%s could not decrypt %q: %v", p.name, f.pt, err)
				}
				if string(got) != f.pt {
					t.Fatalf("%s got %q, want %q", p.name, got, f.pt)
				}
				delivered = append(delivered, f)
			}
		}
		// Now and then replay something already delivered.
		if len(delivered) > 0 && rng.IntN(4) == 0 {
			f := delivered[rng.IntN(len(delivered))]
			for _, p := range []*party{alice, bob} {
				before := sessionState(p.session)
				if _, err := p.session.Decrypt(f.m); err == nil {
					t.Fatalf("replayed %q decrypted again", f.pt)
				}
				sameState(t, p.name, before, sessionState(p.session))
			}
			dups++
		}
		// Now and then persist and restore a session.
		if rng.IntN(10) == 0 {
			p := []*party{alice, bob}[rng.IntN(2)]
			pickled, err := p.session.Pickle(pickleKey)
			noErr(t, err)
			p.session, err = UnpickleSession(pickleKey, pickled)
			noErr(t, err)
		}
	}
	for _, p := range []*party{alice, bob} {
		for _, f := range p.inFlight {
			got, err := p.session.Decrypt(f.m)
			if err != nil || string(got) != f.pt {
				t.Fatalf("%s: late %q: %q %v", p.name, f.pt, got, err)
			}
		}
	}
	t.Logf("%d sent, %d dropped, %d delivered out of order, %d replays rejected", sent, dropped, outOfOrder, dups)
	if dropped == 0 || outOfOrder == 0 || dups == 0 {
		t.Error("the simulation did not exercise drops, reordering and replays")
	}
}

// advanceSender moves a session's sending chain forward n messages without
// encrypting them (as if they were sent and lost).
func advanceSender(s *Session, n int) {
	for range n {
		s.ratchet.sender.chain.advance()
	}
}

func TestLimitMessageGapExistingChain(t *testing.T) {
	_, _, alice, bob := establish(t) // Bob's receiver chain is at index 1
	advanceSender(alice, MaxMessageGap+1)
	m, err := alice.Encrypt([]byte("too far"))
	noErr(t, err)
	before := sessionState(bob)
	_, err = bob.Decrypt(m) // index 2002, next expected 1: gap 2001
	wantCode(t, err, errcode.UnknownMessageIndex)
	sameState(t, "session", before, sessionState(bob))

	_, _, alice, bob = establish(t)
	advanceSender(alice, MaxMessageGap)
	m, err = alice.Encrypt([]byte("just within"))
	noErr(t, err)
	pt, err := bob.Decrypt(m) // gap exactly 2000
	noErr(t, err)
	if string(pt) != "just within" || len(bob.ratchet.skipped) != MaxSkippedMessageKeys {
		t.Fatalf("%q, %d skipped", pt, len(bob.ratchet.skipped))
	}
	// The newest 40 skipped indices are kept, newest first.
	if bob.ratchet.skipped[0].index != 2000 || bob.ratchet.skipped[39].index != 1961 {
		t.Errorf("skipped indices %d..%d", bob.ratchet.skipped[0].index, bob.ratchet.skipped[39].index)
	}
}

func TestLimitMessageGapNewChain(t *testing.T) {
	for _, c := range []struct {
		skip int
		ok   bool
	}{{MaxMessageGap + 1, false}, {MaxMessageGap, true}} {
		_, _, alice, bob := establish(t)
		m, _ := bob.Encrypt([]byte("r"))
		_, err := alice.Decrypt(m)
		noErr(t, err)
		// Alice starts a new chain; its first delivered message has index skip.
		m, _ = alice.Encrypt([]byte("lost"))
		advanceSender(alice, c.skip-1)
		m, err = alice.Encrypt([]byte("new chain"))
		noErr(t, err)
		before := sessionState(bob)
		_, err = bob.Decrypt(m)
		if c.ok {
			noErr(t, err)
		} else {
			wantCode(t, err, errcode.UnknownMessageIndex)
			sameState(t, "session", before, sessionState(bob))
		}
	}
}

func TestLimitSkippedKeys(t *testing.T) {
	_, _, alice, bob := establish(t)
	var msgs []Message
	for i := range MaxSkippedMessageKeys + 2 {
		m, err := alice.Encrypt(fmt.Appendf(nil, "%d", i))
		noErr(t, err)
		msgs = append(msgs, m)
	}
	// Deliver the last: 41 earlier keys are skipped, only 40 kept.
	_, err := bob.Decrypt(msgs[len(msgs)-1])
	noErr(t, err)
	before := sessionState(bob)
	_, err = bob.Decrypt(msgs[0])
	wantCode(t, err, errcode.UnknownMessageIndex)
	sameState(t, "session", before, sessionState(bob))
	for _, m := range msgs[1 : len(msgs)-1] {
		if _, err := bob.Decrypt(m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimitReceiverChains(t *testing.T) {
	_, _, alice, bob := establish(t)
	// Each round trip makes Alice start a new chain.
	var early []Message
	for round := range MaxReceiverChains + 1 {
		m, err := alice.Encrypt(fmt.Appendf(nil, "early %d", round))
		noErr(t, err)
		early = append(early, m)
		m, err = alice.Encrypt(fmt.Appendf(nil, "now %d", round))
		noErr(t, err)
		_, err = bob.Decrypt(m)
		noErr(t, err)
		r, err := bob.Encrypt([]byte("ack"))
		noErr(t, err)
		_, err = alice.Decrypt(r)
		noErr(t, err)
	}
	if n := len(bob.ratchet.receivers); n != MaxReceiverChains {
		t.Fatalf("%d receiver chains", n)
	}
	// The message from Alice's very first chain (index 1, skipped key still
	// kept) is refused once the chain itself was dropped, as libolm and
	// vodozemac refuse it...
	if _, err := bob.Decrypt(early[0]); err == nil {
		t.Fatal("late message on a dropped chain decrypted")
	}
	// ...but a message on a dropped chain without a kept key does not: the
	// chain is unknown, so it is tried as a new chain and fails its MAC.
	_, _, alice2, bob2 := establish(t)
	lost, _ := alice2.Encrypt([]byte("on the first chain, index 1"))
	lostRaw, _ := b64.Decode(lost.Body)
	pk, _ := parsePreKeyMessage(lostRaw)
	inner, _ := parseNormalMessage(pk.message)
	for range MaxReceiverChains + 1 {
		m, _ := alice2.Encrypt([]byte("x"))
		_, err := bob2.Decrypt(m)
		noErr(t, err)
		r, _ := bob2.Encrypt([]byte("ack"))
		_, err = alice2.Decrypt(r)
		noErr(t, err)
	}
	if bob2.ratchet.findReceiver([KeySize]byte(inner.ratchetKey)) >= 0 {
		t.Fatal("the first chain should have been dropped")
	}
	bob2.ratchet.skipped = nil // as if the key had been evicted
	before := sessionState(bob2)
	_, err := bob2.Decrypt(lost)
	wantCode(t, err, errcode.BadMAC)
	sameState(t, "session", before, sessionState(bob2))
	// Without a sending chain of our own it is refused outright.
	m, _ := alice2.Encrypt([]byte("y"))
	_, err = bob2.Decrypt(m)
	noErr(t, err) // Bob has dropped his sender chain now
	before = sessionState(bob2)
	_, err = bob2.Decrypt(lost)
	wantCode(t, err, errcode.BadMessage)
	sameState(t, "session", before, sessionState(bob2))
}

func TestSessionPickle(t *testing.T) {
	_, _, alice, bob := establish(t)
	key := bytes.Repeat([]byte{1}, 32)
	for _, s := range []*Session{alice, bob} {
		p, err := s.Pickle(key)
		noErr(t, err)
		s2, err := UnpickleSession(key, p)
		noErr(t, err)
		sameState(t, "session after pickle round trip", sessionState(s), sessionState(s2))
		if s2.ID() != s.ID() {
			t.Error("id changed")
		}
		_, err = UnpickleSession(bytes.Repeat([]byte{2}, 32), p)
		wantCode(t, err, errcode.WrongKey)
		_, err = UnpickleSession(key, p[:10])
		wantCode(t, err, errcode.BadPickle)
		_, err = UnpickleAccount(key, p) // label binds the object type
		wantCode(t, err, errcode.WrongKey)
		_, err = UnpickleSession(key[:16], p)
		wantCode(t, err, errcode.BadInput)
		// libolm export/import keeps the state exactly.
		lp, err := s.ExportLibolm([]byte("k"))
		noErr(t, err)
		s3, err := ImportLibolmSession([]byte("k"), lp)
		noErr(t, err)
		sameState(t, "session after libolm round trip", sessionState(s), sessionState(s3))
	}
	// Raw decoder: truncated and extended encodings fail with BadPickle.
	raw := sessionState(bob)
	for _, bad := range [][]byte{raw[:len(raw)-1], append(append([]byte{}, raw...), 0), {9}} {
		_, err := unmarshalSession(bad)
		wantCode(t, err, errcode.BadPickle)
	}
}
