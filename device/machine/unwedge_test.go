package machine

import (
	"strings"
	"testing"
)

func TestWedgedSessionIsReplaced(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{}) // alice and B1 have a session
	b1.sync()
	// A normal Olm message from alice that B1's session cannot decrypt
	// (alice's state was restored from an old backup, say).
	bad := toJSON(t, map[string]any{"type": "m.room.encrypted", "sender": a.user, "content": map[string]any{
		"algorithm": "m.olm.v1.curve25519-aes-sha2", "sender_key": a.m.Device().IdentityKeys().Curve25519,
		"ciphertext": map[string]any{b1.m.Device().IdentityKeys().Curve25519: map[string]any{"type": 1, "body": "AwogdGhpcyBpcyBub3QgYSByZWFsIG9sbSBtZXNzYWdlIGJ1dCBpdCBwYXJzZXMgbWF5YmUQABog"}},
	}})
	res, err := b1.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{bad}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ToDevice[0].Failure == nil {
		t.Fatal("the bad message decrypted")
	}
	claims := countRequests(srv, b1, KeysClaim)
	b1.flush()
	if countRequests(srv, b1, KeysClaim) != claims+1 {
		t.Fatalf("no key claimed for the wedged session (failure: %v)", res.ToDevice[0].Failure)
	}
	// Alice gets an m.dummy over a new session, and B1 uses it from now on.
	got := a.sync()
	dummy := false
	for _, r := range got.ToDevice {
		if r.Decrypted != nil && r.Decrypted.Type == "m.dummy" && r.Decrypted.Sender == b1.user {
			dummy = true
		}
	}
	if !dummy {
		t.Fatalf("alice got no m.dummy: %+v", got.ToDevice)
	}
	// Once an hour at most.
	b1.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{bad}})
	b1.flush()
	if countRequests(srv, b1, KeysClaim) != claims+1 {
		t.Fatal("a second claim within the hour")
	}
	clk.t = clk.t.Add(2 * unwedgeInterval)
	b1.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{bad}})
	b1.flush()
	if countRequests(srv, b1, KeysClaim) != claims+2 {
		t.Fatal("no claim after the hour")
	}
	// A replayed message (already decrypted) is not a wedge.
	c, err := a.m.Device().EncryptToDevice(b1.user, b1.dev, "m.dummy", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c), `"type":1`) {
		t.Fatalf("expected a normal message: %s", c)
	}
	ev := toJSON(t, map[string]any{"type": "m.room.encrypted", "sender": a.user, "content": rawJSON(c)})
	clk.t = clk.t.Add(2 * unwedgeInterval) // not rate-limited now
	for i := 0; i < 2; i++ {
		res, err := b1.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{ev}})
		if err != nil {
			t.Fatal(err)
		}
		if (res.ToDevice[0].Failure == nil) != (i == 0) {
			t.Fatalf("delivery %d: %v", i, res.ToDevice[0].Failure)
		}
	}
	b1.flush()
	if countRequests(srv, b1, KeysClaim) != claims+2 {
		t.Fatal("a replayed message was taken for a wedged session")
	}
}
