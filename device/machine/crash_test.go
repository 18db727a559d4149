package machine

import (
	"slices"
	"testing"
)

// A crash is a restart without marking: whatever a request depended on is
// in the store, and the request comes back.

func TestToDeviceRequestsSurviveARestart(t *testing.T) {
	_, _, a, b1, _ := setup(t)
	// Query and claim, but do not send the room keys.
	var toDevice []Request
	for i := 0; i < 10 && len(toDevice) == 0; i++ {
		reqs, err := a.m.ShareRoomKey(room, members, ShareSettings{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if r.Type == ToDevice {
				toDevice = append(toDevice, r)
			} else {
				a.send(r)
			}
		}
	}
	ev := a.roomEvent(room, "sent before the crash")
	a.restart()
	reqs, err := a.m.OutgoingRequests()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range toDevice {
		if !slices.ContainsFunc(reqs, func(r Request) bool { return r.ID == want.ID && string(r.Body) == string(want.Body) }) {
			t.Fatalf("to-device request %s was lost in the restart", want.ID)
		}
	}
	// Sending one twice (the first response lost) delivers it once.
	a.send(toDevice[0])
	a.flush()
	b1.sync()
	mustDecrypt(t, b1, ev, "sent before the crash")
	reqs, _ = a.m.ShareRoomKey(room, members, ShareSettings{})
	if len(reqs) != 0 {
		t.Fatalf("%d requests after everything was sent", len(reqs))
	}
}

func TestLostUploadResponseResendsTheSameKeys(t *testing.T) {
	srv := newRelay(t)
	clk := newTestClock()
	c := &client{t: t, srv: srv, user: "@carol:example.org", dev: "C1", clock: clk.now}
	fs, err := memFS()
	if err != nil {
		t.Fatal(err)
	}
	c.fsys = fs
	c.open()
	t.Cleanup(func() { c.m.Close() })
	reqs, err := c.m.OutgoingRequests()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(reqs, func(r Request) bool { return r.Type == KeysUpload })
	if i < 0 {
		t.Fatal("no keys upload at first start")
	}
	first := reqs[i]
	// The server stores the keys; the response never arrives.
	if resp := srv.handle(c.user, c.dev, first); !resp.ok() {
		t.Fatalf("upload refused: %s", resp.Body)
	}
	c.restart()
	c.sync()
	// The same key ids went again with the same keys (the relay refuses an
	// id with another key, as Synapse does), and nothing more.
	want := len(decodeJSON(t, first.Body)["one_time_keys"].(map[string]any))
	if n := srv.unclaimed(c.user + "|" + c.dev); n != want {
		t.Fatalf("%d one-time keys on the server, want %d", n, want)
	}
	if n := countRequests(srv, c, KeysUpload); n != 2 {
		t.Fatalf("%d uploads, want 2 (the lost one and its resend)", n)
	}
	c.sync()
	if n := countRequests(srv, c, KeysUpload); n != 2 {
		t.Fatalf("%d uploads after the resend was acknowledged", n)
	}
}

func TestSyncTokenIsStoredAfterProcessing(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ch := srv.syncFor(b1.user, b1.dev)
	ch.NextBatch = "after-keys"
	if tok, _ := b1.m.SyncToken(); tok == "after-keys" {
		t.Fatal("token set early")
	}
	if _, err := b1.m.ReceiveSyncChanges(ch); err != nil {
		t.Fatal(err)
	}
	b1.restart()
	if tok, err := b1.m.SyncToken(); err != nil || tok != "after-keys" {
		t.Fatalf("token %q, %v", tok, err)
	}
}

func TestDecryptedToDeviceEventSurvivesACrashBeforeHandling(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "key decrypted, then crash")
	ch := srv.syncFor(b1.user, b1.dev)
	// The room key's Olm message is decrypted and committed, and the
	// process dies before the key is imported.
	found := false
	for _, raw := range ch.ToDeviceEvents {
		if decodeJSON(t, raw)["type"] == "m.room.encrypted" {
			if _, _, err := b1.m.decryptAndStash(raw); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no encrypted to-device event for B1")
	}
	b1.restart()
	// The server sends the same events again (the sync token did not move):
	// they no longer decrypt, but the stashed one is handled.
	res, err := b1.m.ReceiveSyncChanges(ch)
	if err != nil {
		t.Fatal(err)
	}
	if !hasEvent(res.Events, "roomKeyReceived") {
		t.Fatalf("events %v: the stashed room key was not handled", res.Events)
	}
	mustDecrypt(t, b1, ev, "key decrypted, then crash")
	// Handled once: the inbox is empty now.
	res, err = b1.m.ReceiveSyncChanges(SyncChanges{})
	if err != nil || len(res.ToDevice) != 0 {
		t.Fatalf("inbox not emptied: %v %v", res, err)
	}
}
