package machine

import (
	"encoding/json"
	"testing"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestForgedSenderIsRefused(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	mallory := newClient(t, srv, "@mallory:example.org", "M1", clk.now)
	mallory.sync()
	all := append(members, "@mallory:example.org")
	a.share(room, all, ShareSettings{})
	b1.sync()
	if err := b1.m.UpdateTrackedUsers(all); err != nil {
		t.Fatal(err)
	}
	b1.flush()
	ev := a.roomEvent(room, "from alice")
	forged := decodeJSON(t, ev)
	forged["sender"] = "@mallory:example.org"
	_, err := b1.decrypt(room, toJSON(t, forged))
	wantCode(t, err, MismatchedSender)

	// A sender nobody queried: the key is known to be alice's, so still refused.
	ev2 := decodeJSON(t, a.roomEvent(room, "again"))
	ev2["sender"] = "@stranger:example.org"
	_, err = b1.decrypt(room, toJSON(t, ev2))
	wantCode(t, err, MismatchedSender)
	// The genuine event still decrypts (nothing was recorded by the refusal
	// that would make it a replay).
	ev3 := a.roomEvent(room, "genuine")
	mustDecrypt(t, b1, ev3, "genuine")
}

func TestReplayedRoomEventIsRefused(t *testing.T) {
	_, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	b1.sync()
	ev := decodeJSON(t, a.roomEvent(room, "once"))
	mustDecrypt(t, b1, toJSON(t, ev), "once")
	mustDecrypt(t, b1, toJSON(t, ev), "once") // the same event again is fine
	ev["event_id"] = "$replayed"
	_, err := b1.decrypt(room, toJSON(t, ev))
	wantCode(t, err, errcode.ReplayedMessage)
}

func TestChangedDeviceKeysAreRefused(t *testing.T) {
	srv, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	// The server now claims B1 has another Curve25519 key (a substitution).
	other := newRelay(t)
	fake := newClient(t, other, "@bob:example.org", "B1", nil)
	var fakeKeys map[string]any
	for _, v := range other.devices["@bob:example.org"] {
		fakeKeys = v
	}
	srv.mu.Lock()
	srv.alterQuery = func(body map[string]any) {
		if devs, ok := body["device_keys"].(map[string]any)["@bob:example.org"].(map[string]any); ok {
			devs["B1"] = fakeKeys
		}
	}
	srv.deviceChanged("@bob:example.org")
	srv.mu.Unlock()
	res := a.sync()
	e := findEvent(res.Events, "deviceRefused")
	if e == nil || e["code"] != string(DeviceKeysChanged) || e["deviceId"] != "B1" {
		t.Fatalf("events %v, want deviceRefused DEVICE_KEYS_CHANGED for B1", res.Events)
	}
	devs, err := a.m.UserDevices("@bob:example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.DeviceID == "B1" && d.Curve25519 != b1.m.Device().IdentityKeys().Curve25519 {
			t.Fatal("B1's keys were replaced")
		}
	}
	// The real B1 still reads the room; the fake one gets nothing.
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "still to the real B1")
	b1.sync()
	mustDecrypt(t, b1, ev, "still to the real B1")
	_ = fake
}

func TestUnsignedDeviceIsIgnored(t *testing.T) {
	srv, _, a, _, _ := setup(t)
	if err := a.m.UpdateTrackedUsers(members); err != nil {
		t.Fatal(err)
	}
	a.flush()
	srv.mu.Lock()
	srv.alterQuery = func(body map[string]any) {
		devs := body["device_keys"].(map[string]any)["@bob:example.org"].(map[string]any)
		b2 := map[string]any{}
		raw, _ := json.Marshal(devs["B2"])
		json.Unmarshal(raw, &b2)
		b2["device_id"] = "B9"
		b2["keys"] = map[string]any{"curve25519:B9": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "ed25519:B9": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
		devs["B9"] = b2
	}
	srv.deviceChanged("@bob:example.org")
	srv.mu.Unlock()
	res := a.sync()
	if e := findEvent(res.Events, "deviceRefused"); e == nil || e["deviceId"] != "B9" {
		t.Fatalf("events %v, want deviceRefused for B9", res.Events)
	}
	devs, _ := a.m.UserDevices("@bob:example.org")
	for _, d := range devs {
		if d.DeviceID == "B9" {
			t.Fatal("an unsigned device was accepted")
		}
	}
}

func TestUnknownSessionQueuesKeyRequestAndTrustedDeviceAnswers(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "before B3")
	b1.sync()
	mustDecrypt(t, b1, ev, "before B3")
	b3 := newClient(t, srv, "@bob:example.org", "B3", clk.now)
	b3.sync()
	b1.sync()
	if err := b3.m.UpdateTrackedUsers(members); err != nil {
		t.Fatal(err)
	}
	b3.flush()
	if err := b3.m.SetDeviceTrust("@bob:example.org", "B1", Trusted); err != nil {
		t.Fatal(err)
	}
	_, err := b3.decrypt(room, ev)
	wantCode(t, err, device.UnknownSession)
	b3.flush()
	// B1 does not trust B3 yet: no answer.
	b1.sync()
	if res := b3.sync(); hasEvent(res.Events, "roomKeyReceived") {
		t.Fatal("an untrusted device got a forwarded key")
	}
	// Once trusted, a new request is answered (the first one was dropped).
	if err := b1.m.SetDeviceTrust("@bob:example.org", "B3", Trusted); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	srv.inbox["@bob:example.org|B1"] = nil
	srv.mu.Unlock()
	// Re-deliver B3's request (as a retry would).
	reqs := requestsOfType(t, b3, "m.room_key_request")
	if len(reqs) != 0 {
		t.Fatalf("the key request should have been sent already: %v", reqs)
	}
	var req map[string]any
	for _, ev := range srv.inboxLog["@bob:example.org|B1"] {
		if ev["type"] == "m.room_key_request" {
			req = ev
		}
	}
	if req == nil {
		t.Fatal("B1 never got the key request")
	}
	srv.mu.Lock()
	srv.inbox["@bob:example.org|B1"] = append(srv.inbox["@bob:example.org|B1"], req)
	srv.mu.Unlock()
	b1.sync()
	res := b3.sync()
	if e := findEvent(res.Events, "roomKeyReceived"); e == nil || e["source"] != "m.forwarded_room_key" {
		t.Fatalf("B3 events %v, want roomKeyReceived from m.forwarded_room_key", res.Events)
	}
	r := mustDecrypt(t, b3, ev, "before B3")
	if !r.Imported || r.SenderDevice == nil || r.SenderDevice.DeviceID != "A1" {
		t.Fatalf("forwarded: imported %v, sender device %+v", r.Imported, r.SenderDevice)
	}
	// B3 cancelled its request once the key came.
	b3.flush()
	found := false
	for _, ev := range srv.inboxLog["@bob:example.org|B1"] {
		if c, _ := ev["content"].(map[string]any); ev["type"] == "m.room_key_request" && c["action"] == "request_cancellation" {
			found = true
		}
	}
	if !found {
		t.Fatal("no request_cancellation after the key arrived")
	}
}

// requestsOfType lists pending to-device requests of an event type.
func requestsOfType(t *testing.T, c *client, eventType string) []Request {
	reqs, err := c.m.OutgoingRequests()
	if err != nil {
		t.Fatal(err)
	}
	var out []Request
	for _, r := range reqs {
		if r.Type == ToDevice && containsSegment(r.Path, eventType) {
			out = append(out, r)
		}
	}
	return out
}

func containsSegment(path, seg string) bool {
	for i := 0; i+len(seg) <= len(path); i++ {
		if path[i:i+len(seg)] == seg {
			return true
		}
	}
	return false
}

func TestWithheldNoticeDoesNotBlockTheKey(t *testing.T) {
	_, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "x")
	sid := sessionOfEvent(t, ev)
	// Bob (anyone can send a plain notice) claims alice withheld the key:
	// the notice is informational and the key, when it comes, wins.
	res, err := b1.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{toJSON(t, map[string]any{
		"type": "m.room_key.withheld", "sender": "@bob:example.org",
		"content": map[string]any{"room_id": room, "session_id": sid, "code": "m.blacklisted", "sender_key": a.m.Device().IdentityKeys().Curve25519, "algorithm": "m.megolm.v1.aes-sha2"},
	})}})
	if err != nil {
		t.Fatal(err)
	}
	if e := findEvent(res.Events, "roomKeyWithheld"); e == nil || e["code"] != "m.blacklisted" {
		t.Fatalf("events %v", res.Events)
	}
	b1.sync() // the real key arrives and replaces any notice
	mustDecrypt(t, b1, ev, "x")
}
