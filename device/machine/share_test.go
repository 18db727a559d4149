package machine

import (
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
)

const room = "!room:example.org"

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

// setup: alice (A1), bob (B1, B2), all uploaded and synced.
func setup(t testing.TB) (*relay, *testClock, *client, *client, *client) {
	srv := newRelay(t)
	clk := newTestClock()
	a := newClient(t, srv, "@alice:example.org", "A1", clk.now)
	b1 := newClient(t, srv, "@bob:example.org", "B1", clk.now)
	b2 := newClient(t, srv, "@bob:example.org", "B2", clk.now)
	for _, c := range []*client{a, b1, b2} {
		c.sync()
	}
	return srv, clk, a, b1, b2
}

var members = []string{"@alice:example.org", "@bob:example.org"}

func mustDecrypt(t *testing.T, c *client, ev []byte, want string) *RoomEvent {
	t.Helper()
	r, err := c.decrypt(room, ev)
	if err != nil {
		t.Fatalf("%s: decrypt: %v", c.dev, err)
	}
	if got := bodyOf(t, r); got != want {
		t.Fatalf("%s: body %q, want %q", c.dev, got, want)
	}
	return r
}

func wantCode(t *testing.T, err error, code errcode.Code) {
	t.Helper()
	if errcode.Of(err) != code {
		t.Fatalf("error %v (code %q), want %s", err, errcode.Of(err), code)
	}
}

func TestMessagesBothWaysWithSenderDevice(t *testing.T) {
	_, _, a, b1, b2 := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "hello bob")
	for _, b := range []*client{b1, b2} {
		res := b.sync()
		if !hasEvent(res.Events, "roomKeyReceived") {
			t.Fatalf("%s: no roomKeyReceived in %v", b.dev, res.Events)
		}
		r := mustDecrypt(t, b, ev, "hello bob")
		if r.SenderDevice == nil || r.SenderDevice.DeviceID != "A1" || r.SenderDevice.UserID != "@alice:example.org" {
			t.Fatalf("%s: sender device %+v", b.dev, r.SenderDevice)
		}
	}
	// Alice reads her own message too.
	mustDecrypt(t, a, ev, "hello bob")

	b1.share(room, members, ShareSettings{})
	reply := b1.roomEvent(room, "hi alice")
	a.sync()
	b2.sync()
	r := mustDecrypt(t, a, reply, "hi alice")
	if r.SenderDevice == nil || r.SenderDevice.DeviceID != "B1" {
		t.Fatalf("sender device %+v", r.SenderDevice)
	}
	mustDecrypt(t, b2, reply, "hi alice")
}

func hasEvent(evs []Event, typ string) bool {
	for _, e := range evs {
		if e["type"] == typ {
			return true
		}
	}
	return false
}

func findEvent(evs []Event, typ string) Event {
	for _, e := range evs {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

func TestShareIsIncrementalAndRestartKeepsSession(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	before := len(srv.requests)
	// Nothing new to send the second time.
	reqs, err := a.m.ShareRoomKey(room, members, ShareSettings{})
	if err != nil || len(reqs) != 0 {
		t.Fatalf("second ShareRoomKey: %v, %d requests", err, len(reqs))
	}
	a.restart()
	reqs, err = a.m.ShareRoomKey(room, members, ShareSettings{})
	if err != nil || len(reqs) != 0 {
		t.Fatalf("ShareRoomKey after restart: %v, %d requests (a restart must not rotate)", err, len(reqs))
	}
	ev := a.roomEvent(room, "after restart")
	b1.sync()
	mustDecrypt(t, b1, ev, "after restart")
	for _, r := range srv.requests[before:] {
		if strings.HasPrefix(r, a.user+"|") {
			t.Fatalf("alice sent %s after the key was shared", r)
		}
	}
}

func TestLateDeviceGetsCurrentKeyNotHistory(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	old := a.roomEvent(room, "before B3")
	b3 := newClient(t, srv, "@bob:example.org", "B3", clk.now)
	b3.sync()
	a.sync() // device_lists.changed names bob
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "after B3")
	b3.sync()
	mustDecrypt(t, b3, ev, "after B3")
	if _, err := b3.decrypt(room, old); errcode.Of(err) != errcode.UnknownMessageIndex {
		t.Fatalf("old message: %v, want UNKNOWN_MESSAGE_INDEX", err)
	}
	b1.sync()
	mustDecrypt(t, b1, ev, "after B3")
}

func sessionOfEvent(t *testing.T, ev []byte) string {
	return decodeJSON(t, ev)["content"].(map[string]any)["session_id"].(string)
}

func TestMemberLeaveRotates(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	c := newClient(t, srv, "@carol:example.org", "C1", clk.now)
	c.sync()
	all := append(members, "@carol:example.org")
	a.share(room, all, ShareSettings{})
	first := a.roomEvent(room, "with carol")
	c.sync()
	mustDecrypt(t, c, first, "with carol")
	// Carol leaves.
	a.share(room, members, ShareSettings{})
	second := a.roomEvent(room, "without carol")
	if sessionOfEvent(t, first) == sessionOfEvent(t, second) {
		t.Fatal("the session did not rotate when a member left")
	}
	c.sync()
	if _, err := c.decrypt(room, second); errcode.Of(err) != device.UnknownSession {
		t.Fatalf("carol after leaving: %v, want UNKNOWN_SESSION", err)
	}
	b1.sync()
	mustDecrypt(t, b1, second, "without carol")
}

func TestRemovedDeviceRotatesAndGetsNothing(t *testing.T) {
	srv, _, a, b1, b2 := setup(t)
	a.share(room, members, ShareSettings{})
	first := a.roomEvent(room, "one")
	srv.removeDevice("@bob:example.org", "B2")
	res := a.sync()
	ch := findEvent(res.Events, "devicesChanged")
	if ch == nil || !strings.Contains(toStr(ch["removed"]), "B2") {
		t.Fatalf("no devicesChanged removing B2: %v", res.Events)
	}
	a.share(room, members, ShareSettings{})
	second := a.roomEvent(room, "two")
	if sessionOfEvent(t, first) == sessionOfEvent(t, second) {
		t.Fatal("the session did not rotate when a device was removed")
	}
	b2.sync()
	if _, err := b2.decrypt(room, second); errcode.Of(err) != device.UnknownSession {
		t.Fatalf("removed device: %v, want UNKNOWN_SESSION", err)
	}
	b1.sync()
	mustDecrypt(t, b1, second, "two")
}

func toStr(v any) string {
	var sb strings.Builder
	if l, ok := v.([]any); ok {
		for _, e := range l {
			sb.WriteString(e.(string) + ",")
		}
	}
	return sb.String()
}

func TestRotationByMessageCountAndPeriod(t *testing.T) {
	_, clk, a, b1, _ := setup(t)
	s := ShareSettings{RotationPeriodMsgs: 2, RotationPeriodMs: 3600_000}
	a.share(room, members, s)
	e1 := a.roomEvent(room, "1")
	a.roomEvent(room, "2")
	if _, err := a.m.EncryptRoomEvent(room, "m.room.message", []byte(`{"body":"3"}`)); errcode.Of(err) != RoomKeyNotShared {
		t.Fatalf("third message with rotation_period_msgs 2: %v, want ROOM_KEY_NOT_SHARED", err)
	}
	a.share(room, members, s)
	e3 := a.roomEvent(room, "3")
	if sessionOfEvent(t, e1) == sessionOfEvent(t, e3) {
		t.Fatal("no rotation after 2 messages")
	}
	clk.t = clk.t.Add(2 * time.Hour)
	if _, err := a.m.EncryptRoomEvent(room, "m.room.message", []byte(`{"body":"4"}`)); errcode.Of(err) != RoomKeyNotShared {
		t.Fatalf("message after the period: %v, want ROOM_KEY_NOT_SHARED", err)
	}
	a.share(room, members, s)
	e4 := a.roomEvent(room, "4")
	if sessionOfEvent(t, e3) == sessionOfEvent(t, e4) {
		t.Fatal("no rotation after the period")
	}
	b1.sync()
	mustDecrypt(t, b1, e1, "1")
	mustDecrypt(t, b1, e3, "3")
	mustDecrypt(t, b1, e4, "4")
}

func TestWithheldCodes(t *testing.T) {
	_, _, a, b1, b2 := setup(t)
	if err := a.m.SetDeviceTrust("@bob:example.org", "B1", Trusted); err != nil {
		t.Fatal(err)
	}
	a.share(room, members, ShareSettings{OnlyTrustedDevices: true})
	ev := a.roomEvent(room, "trusted only")
	b1.sync()
	mustDecrypt(t, b1, ev, "trusted only")
	res := b2.sync()
	if e := findEvent(res.Events, "roomKeyWithheld"); e == nil || e["code"] != "m.unverified" {
		t.Fatalf("B2 events %v, want roomKeyWithheld m.unverified", res.Events)
	}
	_, err := b2.decrypt(room, ev)
	wantCode(t, err, Withheld)
	if w, ok := AsWithheld(err); !ok || w.Code != "m.unverified" {
		t.Fatalf("withheld error %v", err)
	}

	// Blacklisting rotates nothing by itself, but a new session withholds it.
	const room2 = "!other:example.org"
	if err := a.m.SetDeviceTrust("@bob:example.org", "B1", Blacklisted); err != nil {
		t.Fatal(err)
	}
	a.share(room2, members, ShareSettings{})
	content, err := a.m.EncryptRoomEvent(room2, "m.room.message", []byte(`{"body":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	ev2 := toJSON(t, map[string]any{"type": "m.room.encrypted", "sender": a.user, "event_id": "$bl", "content": rawJSON(content)})
	b1.sync()
	_, err = b1.m.DecryptRoomEvent(room2, ev2)
	if w, ok := AsWithheld(err); !ok || w.Code != "m.blacklisted" {
		t.Fatalf("blacklisted device: %v, want WITHHELD m.blacklisted", err)
	}
	b2.sync()
	if _, err := b2.m.DecryptRoomEvent(room2, ev2); err != nil {
		t.Fatalf("B2 in room2: %v", err)
	}
}

func TestNoOlmWhenNoKeyCanBeClaimed(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	// Bob's B1 has no keys left at all.
	srv.mu.Lock()
	for i := range srv.otks["@bob:example.org|B1"] {
		srv.otks["@bob:example.org|B1"][i].used = true
	}
	delete(srv.fallback, "@bob:example.org|B1")
	srv.mu.Unlock()
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "x")
	b1.sync()
	_, err := b1.decrypt(room, ev)
	if w, ok := AsWithheld(err); !ok || w.Code != "m.no_olm" {
		t.Fatalf("B1: %v, want WITHHELD m.no_olm", err)
	}
}

func TestFallbackKeyWhenOneTimeKeysRunOut(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	srv.mu.Lock()
	for i := range srv.otks["@bob:example.org|B1"] {
		srv.otks["@bob:example.org|B1"][i].used = true
	}
	srv.mu.Unlock()
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "via fallback")
	res := b1.sync()
	mustDecrypt(t, b1, ev, "via fallback")
	_ = res
	// B1 saw its fallback key used and uploaded a new one.
	srv.mu.Lock()
	f := srv.fallback["@bob:example.org|B1"]
	srv.mu.Unlock()
	if f == nil || f.used {
		t.Fatalf("B1's fallback key was not replaced: %+v", f)
	}
}

func rawJSON(b []byte) any { return jsonRaw(b) }

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

func TestTrustChangesRotateOrShare(t *testing.T) {
	_, _, a, b1, b2 := setup(t)
	a.share(room, members, ShareSettings{OnlyTrustedDevices: true})
	e1 := a.roomEvent(room, "1")
	b1.sync()
	if _, err := b1.decrypt(room, e1); errcode.Of(err) != Withheld {
		t.Fatalf("untrusted B1: %v, want WITHHELD", err)
	}
	// B1 becomes trusted: it gets the current key, no rotation.
	if err := a.m.SetDeviceTrust("@bob:example.org", "B1", Trusted); err != nil {
		t.Fatal(err)
	}
	a.share(room, members, ShareSettings{OnlyTrustedDevices: true})
	e2 := a.roomEvent(room, "2")
	if sessionOfEvent(t, e1) != sessionOfEvent(t, e2) {
		t.Fatal("trusting a device rotated the session")
	}
	b1.sync()
	mustDecrypt(t, b1, e2, "2")
	// B1 is blacklisted: the session rotates and B1 gets nothing new.
	if err := a.m.SetDeviceTrust("@bob:example.org", "B1", Blacklisted); err != nil {
		t.Fatal(err)
	}
	a.share(room, members, ShareSettings{OnlyTrustedDevices: true})
	e3 := a.roomEvent(room, "3")
	if sessionOfEvent(t, e2) == sessionOfEvent(t, e3) {
		t.Fatal("blacklisting a device that had the key did not rotate")
	}
	b1.sync()
	_, err := b1.decrypt(room, e3)
	if w, ok := AsWithheld(err); !ok || w.Code != "m.blacklisted" {
		t.Fatalf("blacklisted B1: %v", err)
	}
	_ = b2
}
