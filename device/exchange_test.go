package device

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// share sends from's new room key to each device over Olm and imports it.
func share(t *testing.T, from *Device, roomKey []byte, to ...*Device) {
	t.Helper()
	for _, d := range to {
		enc, err := from.EncryptToDevice(d.UserID(), d.DeviceID(), "m.room_key", roomKey)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := d.DecryptToDevice(toDeviceEvent(t, from, enc))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != "m.room_key" || ev.Sender != from.UserID() || ev.SenderKey != from.IdentityKeys().Curve25519 || ev.SenderEd25519 != from.IdentityKeys().Ed25519 {
			t.Fatalf("to-device event %+v", ev)
		}
		out, err := d.ImportRoomKey(ev.Content, RoomKeySource{Kind: ev.Type, SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519})
		if err != nil || out != Imported {
			t.Fatalf("import: %v %v", out, err)
		}
	}
}

func roomEvent(t testing.TB, eventID string, content []byte) []byte {
	return mustJSON(t, map[string]any{"event_id": eventID, "type": "m.room.encrypted", "content": json.RawMessage(content)})
}

func TestThreeDevicesExchangeMessages(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	carol := newDevice(t, "@carol:example.org", "CAROL", c)
	for _, d := range []*Device{alice, bob, carol} {
		if !srv.sync(d) {
			t.Fatal("first sync uploaded nothing")
		}
		if srv.sync(d) {
			t.Fatal("second sync uploaded again although nothing changed")
		}
		if n := len(srv.otks[d.UserID()+"|"+d.DeviceID()]); n != oneTimeKeyTarget {
			t.Fatalf("server holds %d one-time keys, want %d", n, oneTimeKeyTarget)
		}
	}
	srv.connect(alice, bob)
	srv.connect(alice, carol)

	// Alice says hello to Bob over Olm; Bob answers over the session the
	// pre-key message made (he only needs to know Alice's device).
	enc, err := alice.EncryptToDevice(bob.UserID(), bob.DeviceID(), "m.dummy.hello", []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(enc), `"type":0`) {
		t.Fatalf("first message should be a pre-key message: %s", enc)
	}
	ev, err := bob.DecryptToDevice(toDeviceEvent(t, alice, enc))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "m.dummy.hello" || string(ev.Content) != `{"n":1}` || ev.Verified {
		t.Fatalf("bob got %+v (%s); Alice's device is not known to Bob yet, so not verified", ev, ev.Content)
	}
	if _, err := bob.CreateOutboundSessions(srv.query(alice.UserID()), nil); err != nil {
		t.Fatal(err)
	}
	reply, err := bob.EncryptToDevice(alice.UserID(), alice.DeviceID(), "m.dummy.reply", []byte(`{"n":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reply), `"type":1`) {
		t.Fatalf("a reply in a received session is a normal message: %s", reply)
	}
	got, err := alice.DecryptToDevice(toDeviceEvent(t, bob, reply))
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "m.dummy.reply" || !got.Verified || got.SenderDevice != "BOB" {
		t.Fatalf("alice got %+v", got)
	}
	// The same event again is refused (its message key is gone), and the
	// sender of an event cannot be swapped.
	_, err = alice.DecryptToDevice(toDeviceEvent(t, bob, reply))
	wantCode(t, err, errcode.UnknownMessageIndex)
	forged := mustJSON(t, map[string]any{"type": "m.room.encrypted", "sender": carol.UserID(), "content": json.RawMessage(enc)})
	_, err = carol.DecryptToDevice(forged)
	wantCode(t, err, errcode.BadInput) // not encrypted for Carol at all

	// Room messages: Alice shares her room key with Bob and Carol.
	const room = "!room:example.org"
	out, err := alice.EncryptRoomEvent(room, "m.room.message", []byte(`{"body":"hi all","msgtype":"m.text"}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if out.RoomKey == nil {
		t.Fatal("the first room message must come with a room key to share")
	}
	share(t, alice, out.RoomKey, bob, carol)
	for i, d := range []*Device{bob, carol, alice} {
		re, err := d.DecryptRoomEvent(room, roomEvent(t, "$e1", out.Content))
		if err != nil {
			t.Fatalf("device %d: %v", i, err)
		}
		if re.Type != "m.room.message" || string(re.Content) != `{"body":"hi all","msgtype":"m.text"}` || re.SenderKey != alice.IdentityKeys().Curve25519 || re.SenderEd25519 != alice.IdentityKeys().Ed25519 || re.MessageIndex != 0 || re.Imported {
			t.Fatalf("device %d decrypted %+v %s", i, re, re.Content)
		}
	}
	out2, err := alice.EncryptRoomEvent(room, "m.room.message", []byte(`{"body":"second"}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if out2.RoomKey != nil || out2.SessionID != out.SessionID {
		t.Fatal("the second message must reuse the session")
	}
	re, err := carol.DecryptRoomEvent(room, roomEvent(t, "$e2", out2.Content))
	if err != nil || re.MessageIndex != 1 || string(re.Content) != `{"body":"second"}` {
		t.Fatalf("%+v %v", re, err)
	}
	// The room id is checked against the plaintext.
	_, err = carol.DecryptRoomEvent("!other:example.org", roomEvent(t, "$e2", out2.Content))
	wantCode(t, err, UnknownSession)

	// A Megolm room key sent to Carol is not readable by a device that was
	// not given it.
	dave := newDevice(t, "@dave:example.org", "DAVE", c)
	_, err = dave.DecryptRoomEvent(room, roomEvent(t, "$e1", out.Content))
	wantCode(t, err, UnknownSession)
}

func TestFallbackKeyUseRotationAndReplay(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	carol := newDevice(t, "@carol:example.org", "CAROL", c)
	for _, d := range []*Device{alice, bob, carol} {
		srv.sync(d)
	}
	// Someone claims all of Bob's one-time keys.
	for len(srv.otks["@bob:example.org|BOB"]) > 0 {
		srv.claim(bob.UserID(), bob.DeviceID())
	}
	fbBefore, err := bob.FallbackKeys()
	if err != nil || len(fbBefore) != 1 || !fbBefore[0].Current || fbBefore[0].Published.IsZero() {
		t.Fatalf("fallback keys %+v %v", fbBefore, err)
	}
	ref := srv.connect(alice, bob)
	if !ref.Fallback {
		t.Fatal("with no one-time keys left the session must be made from the fallback key")
	}
	// Carol also claims the same fallback key (the server keeps handing it out).
	refC := srv.connect(carol, bob)
	if !refC.Fallback {
		t.Fatal("carol should get the fallback key too")
	}
	otksBefore, _ := bob.OneTimeKeyCount()

	enc, err := alice.EncryptToDevice(bob.UserID(), bob.DeviceID(), "m.dummy", []byte(`{"x":"from alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	event := toDeviceEvent(t, alice, enc)
	ev, err := bob.DecryptToDevice(event)
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Content) != `{"x":"from alice"}` {
		t.Fatalf("content %s", ev.Content)
	}
	if n, _ := bob.OneTimeKeyCount(); n != otksBefore {
		t.Fatalf("a fallback-key session must not consume one-time keys (%d → %d)", otksBefore, n)
	}
	fb, _ := bob.FallbackKeys()
	if len(fb) != 1 || fb[0].Used.IsZero() {
		t.Fatalf("the fallback key must be marked used: %+v", fb)
	}

	// A replay of the pre-key message is refused and changes nothing.
	gen, _ := bob.st.Generation()
	_, err = bob.DecryptToDevice(event)
	wantCode(t, err, errcode.ReplayedMessage)
	if g2, _ := bob.st.Generation(); g2 != gen {
		t.Fatal("a refused message must not change the store")
	}

	// The next sync rotates the fallback key: a new one is uploaded, the old
	// one is kept, so Carol's message made with it still decrypts.
	c.advance(time.Minute)
	if !srv.sync(bob) {
		t.Fatal("sync after the fallback key was used must upload a new one")
	}
	fb, _ = bob.FallbackKeys()
	if len(fb) != 2 || fb[0].PublicKey == fbBefore[0].PublicKey || fb[1].PublicKey != fbBefore[0].PublicKey || fb[1].Replaced.IsZero() {
		t.Fatalf("after rotation: %+v", fb)
	}
	if srv.fallback["@bob:example.org|BOB"].name == "signed_curve25519:"+fbBefore[0].KeyID {
		t.Fatal("the server still has the old fallback key")
	}
	encC, err := carol.EncryptToDevice(bob.UserID(), bob.DeviceID(), "m.dummy", []byte(`{"x":"from carol"}`))
	if err != nil {
		t.Fatal(err)
	}
	evC, err := bob.DecryptToDevice(toDeviceEvent(t, carol, encC))
	if err != nil || string(evC.Content) != `{"x":"from carol"}` {
		t.Fatalf("message made with the replaced fallback key: %v", err)
	}
	// Alice claims again: she gets the new fallback key (still no OTKs on
	// the server... Bob's sync above refilled them, so she gets an OTK).
	if n := len(srv.otks["@bob:example.org|BOB"]); n != oneTimeKeyTarget {
		t.Fatalf("bob's sync should have refilled one-time keys, server has %d", n)
	}
}

func TestRoomRotationAndReplay(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	fsys := memFS(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bobStore := openStore(t, fsys)
	bob, err := Open(bobStore, Options{UserID: "@bob:example.org", DeviceID: "BOB", Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	srv.sync(alice)
	srv.sync(bob)
	srv.connect(alice, bob)
	const room = "!r:example.org"
	policy := megolm.RotationPolicy{PeriodMsgs: 3, PeriodMs: 3600_000}
	var sessions []string
	var events [][]byte
	for i := range 7 {
		if i == 5 {
			c.advance(2 * time.Hour) // past the period: rotate although few messages
		}
		out, err := alice.EncryptRoomEvent(room, "m.room.message", mustJSON(t, map[string]any{"i": i}), policy)
		if err != nil {
			t.Fatal(err)
		}
		if out.RoomKey != nil {
			sessions = append(sessions, out.SessionID)
			share(t, alice, out.RoomKey, bob)
		}
		events = append(events, out.Content)
	}
	// Messages 0-2 in the first session, 3-4 in the second, 5-6 (after the
	// clock jump) in the third.
	if len(sessions) != 3 {
		t.Fatalf("want 3 sessions, got %d", len(sessions))
	}
	for i, e := range events {
		re, err := bob.DecryptRoomEvent(room, roomEvent(t, "$ev"+string(rune('a'+i)), e))
		if err != nil {
			t.Fatal(err)
		}
		if string(re.Content) != string(mustJSON(t, map[string]any{"i": i})) {
			t.Fatalf("event %d: %s", i, re.Content)
		}
	}
	// Same event id again is fine; another event id at the same index is a
	// replay, and the record survives reopening the store.
	if _, err := bob.DecryptRoomEvent(room, roomEvent(t, "$eva", events[0])); err != nil {
		t.Fatal(err)
	}
	_, err = bob.DecryptRoomEvent(room, roomEvent(t, "$evil", events[0]))
	wantCode(t, err, errcode.ReplayedMessage)
	bob.Close()
	bob, err = Open(openStore(t, fsys), Options{UserID: "@bob:example.org", DeviceID: "BOB", Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	_, err = bob.DecryptRoomEvent(room, roomEvent(t, "$evil", events[1]))
	wantCode(t, err, errcode.ReplayedMessage)
	// Opening the store as another device is refused.
	_, err = Open(bob.st, Options{UserID: "@bob:example.org", DeviceID: "OTHER"})
	wantCode(t, err, errcode.BadInput)
}

func TestForwardedKeysKeepTheBetterCopy(t *testing.T) {
	alice, bob, bob2 := aliceAndTwoBobs(t)
	const room = "!fwd:example.org"
	// Bob2 only gets the key as Alice shares it later, at index 3.
	sessionID, events, late := lateShare(t, alice, bob, bob2, room, 3)
	_, err := bob2.DecryptRoomEvent(room, roomEvent(t, "$0", events[0]))
	wantCode(t, err, errcode.UnknownMessageIndex)

	// Bob forwards his copy (from index 0) to his other device.
	fwd, src := forwardKey(t, bob, bob2, "@bob:example.org", "BOB2", room, sessionID)
	if out, err := bob2.ImportRoomKey(fwd, src); err != nil || out != Imported {
		t.Fatalf("the forward reaches further back and must replace the copy: %v %v", out, err)
	}
	if out, err := bob2.ImportRoomKey(fwd, src); err != nil || out != Skipped {
		t.Fatalf("the same forward again: %v %v", out, err)
	}
	if out, err := bob2.ImportRoomKey(late, RoomKeySource{Kind: "m.room_key", SenderKey: alice.IdentityKeys().Curve25519, SenderEd25519: alice.IdentityKeys().Ed25519}); err != nil || out != Skipped {
		t.Fatalf("the later copy must not replace the better one: %v %v", out, err)
	}
	for i, e := range events {
		re, err := bob2.DecryptRoomEvent(room, roomEvent(t, "$"+string(rune('0'+i)), e))
		if err != nil || re.MessageIndex != uint32(i) || re.SenderKey != alice.IdentityKeys().Curve25519 {
			t.Fatalf("event %d: %+v %v", i, re, err)
		}
	}
	// A forward claiming the same session id with another creator is a
	// conflict, and the held key stays.
	obj := unJSON(t, fwd)
	obj["sender_key"] = bob.IdentityKeys().Curve25519
	_, err = bob2.ImportRoomKey(mustJSON(t, obj), src)
	wantCode(t, err, KeyConflict)
	_, err = bob.ForwardRoomKey(room, "nope")
	wantCode(t, err, UnknownSession)
	_, err = bob2.ImportRoomKey(fwd, RoomKeySource{Kind: "m.something"})
	wantCode(t, err, errcode.BadInput)
}

func TestFallbackRetentionOption(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	carol := newDevice(t, "@carol:example.org", "CAROL", c)
	bob, err := Open(openStore(t, memFS(t)), Options{UserID: "@bob:example.org", DeviceID: "BOB", Clock: c.now, FallbackRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	for _, d := range []*Device{alice, bob, carol} {
		srv.sync(d)
	}
	for len(srv.otks["@bob:example.org|BOB"]) > 0 {
		srv.claim("@bob:example.org", "BOB")
	}
	// Alice and Carol claim the first fallback key; it is then replaced
	// twice, and two hours later only the most recently replaced key is
	// kept, so Carol's message made with the first one is undecryptable.
	srv.connect(alice, bob)
	srv.connect(carol, bob)
	for range 2 {
		c.advance(8 * 24 * time.Hour)
		if !srv.sync(bob) {
			t.Fatal("weekly rotation expected")
		}
		for len(srv.otks["@bob:example.org|BOB"]) > 0 {
			srv.claim("@bob:example.org", "BOB")
		}
	}
	c.advance(2 * time.Hour)
	srv.sync(bob) // rotation check also purges
	fb, _ := bob.FallbackKeys()
	if len(fb) != 2 {
		t.Fatalf("want current + most recently replaced, got %+v", fb)
	}
	enc, err := carol.EncryptToDevice("@bob:example.org", "BOB", "m.x", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bob.DecryptToDevice(toDeviceEvent(t, carol, enc))
	wantCode(t, err, errcode.UnknownOneTimeKey)
}

func TestContentsWithFractionsPassThrough(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	srv.sync(alice)
	srv.sync(bob)
	srv.connect(alice, bob)
	content := `{"duration":1.5,"big":1e400,"text":"<a & b>\u2028"}`
	want := `{"big":1e400,"duration":1.5,"text":"<a & b>` + "\u2028" + `"}`
	enc, err := alice.EncryptToDevice("@bob:example.org", "BOB", "m.x", []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := bob.DecryptToDevice(toDeviceEvent(t, alice, enc))
	if err != nil || string(ev.Content) != want {
		t.Fatalf("%s %v", ev.Content, err)
	}
	out, err := alice.EncryptRoomEvent("!r:example.org", "m.x", []byte(content), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	re, err := alice.DecryptRoomEvent("!r:example.org", roomEvent(t, "$1", out.Content))
	if err != nil || string(re.Content) != want {
		t.Fatalf("%s %v", re.Content, err)
	}
}
