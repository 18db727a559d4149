package machine

import (
	"testing"
)

// The machine reads JSON from the server (responses, to-device events) and
// from the room (events). Whatever arrives, it must not panic; failures are
// coded errors or reported results.

func fuzzClient(f *testing.F) (*relay, *client, *client) {
	srv := newRelay(f)
	clk := newTestClock()
	a := newClient(f, srv, "@alice:example.org", "A1", clk.now)
	b := newClient(f, srv, "@bob:example.org", "B1", clk.now)
	a.sync()
	b.sync()
	return srv, a, b
}

func FuzzReceiveToDevice(f *testing.F) {
	srv, a, b := fuzzClient(f)
	a.share(room, members, ShareSettings{})
	for _, ev := range srv.syncFor(b.user, b.dev).ToDeviceEvents {
		f.Add(ev)
	}
	f.Add([]byte(`{"type":"m.room_key_request","sender":"@bob:example.org","content":{"action":"request","requesting_device_id":"B9","body":{"room_id":"!r","session_id":"s"}}}`))
	f.Add([]byte(`{"type":"m.room_key.withheld","sender":"@x:y","content":{"room_id":"!r:y","session_id":"s","code":"m.unverified"}}`))
	f.Add([]byte(`{"type":"m.secret.request","sender":"@bob:example.org","content":{"action":"request","name":"m.megolm_backup.v1","requesting_device_id":"B2","request_id":"1"}}`))
	f.Fuzz(func(t *testing.T, ev []byte) {
		if _, err := b.m.ReceiveSyncChanges(SyncChanges{ToDeviceEvents: [][]byte{ev}}); err != nil && !isStoreFailure(err) {
			t.Fatalf("a bad event failed the whole sync: %v", err)
		}
	})
}

func FuzzDecryptRoomEvent(f *testing.F) {
	_, a, b := fuzzClient(f)
	a.share(room, members, ShareSettings{})
	b.sync()
	f.Add(a.roomEvent(room, "seed"))
	f.Add([]byte(`{"type":"m.room.encrypted","sender":"@a:b","event_id":"$x","content":{"algorithm":"m.megolm.v1.aes-sha2","session_id":"x","ciphertext":"AAAA"}}`))
	f.Fuzz(func(t *testing.T, ev []byte) {
		r, err := b.m.DecryptRoomEvent(room, ev)
		if err == nil && r == nil {
			t.Fatal("no result and no error")
		}
	})
}

func FuzzMarkRequestAsSent(f *testing.F) {
	_, a, _ := fuzzClient(f)
	f.Add(uint8(0), 200, []byte(`{"one_time_key_counts":{"signed_curve25519":3}}`))
	f.Add(uint8(1), 200, []byte(`{"device_keys":{"@bob:example.org":{"B1":{}}}}`))
	f.Add(uint8(2), 200, []byte(`{"one_time_keys":{"@bob:example.org":{"B1":{"signed_curve25519:A":{"key":"x"}}}}}`))
	f.Add(uint8(3), 403, []byte(`{"errcode":"M_WRONG_ROOM_KEYS_VERSION","current_version":"9"}`))
	f.Add(uint8(4), 200, []byte(`{"first_message_index":0,"session_data":{}}`))
	f.Add(uint8(1), 200, []byte(`{"device_keys":{"@bob:example.org":{}},"master_keys":{"@bob:example.org":{"user_id":"@bob:example.org","usage":["master"],"keys":{"ed25519:x":"x"}}},"self_signing_keys":{"@bob:example.org":{"user_id":"@bob:example.org","usage":["self_signing"],"keys":{"ed25519:y":"y"},"signatures":{"@bob:example.org":{"ed25519:x":"zz"}}}}}`))
	f.Add(uint8(6), 200, []byte(`{"failures":{"@bob:example.org":{"X":{"errcode":"M_INVALID_SIGNATURE"}}}}`))
	types := []string{KeysUpload, KeysQuery, KeysClaim, BackupUpload, BackupGet, ToDevice, SignaturesUpload}
	f.Fuzz(func(t *testing.T, which uint8, status int, body []byte) {
		typ := types[int(which)%len(types)]
		// A request of that type in flight, so the response is read.
		switch typ {
		case KeysQuery:
			a.m.UpdateTrackedUsers([]string{"@bob:example.org"})
			a.m.markOutdated("@bob:example.org")
		case KeysClaim:
			a.m.ensureClaim([]devRef{{"@bob:example.org", "B1"}})
		case BackupGet:
			a.m.backupGets["fuzz"] = &backupGet{room: room, session: "s", req: Request{ID: "fuzz", Type: BackupGet}}
		case SignaturesUpload:
			a.m.queueSignatures(map[string]map[string]map[string]any{"@bob:example.org": {"X": {"a": "b"}}})
		}
		reqs, err := a.m.OutgoingRequests()
		if err != nil {
			t.Fatal(err)
		}
		id := "fuzz"
		for _, r := range reqs {
			if r.Type == typ {
				id = r.ID
			}
		}
		_, _ = a.m.MarkRequestAsSent(id, typ, Response{Status: status, Body: body})
	})
}

// FuzzVerifyBackup: any backup version answer is judged (or refused) without panicking.
func FuzzVerifyBackup(f *testing.F) {
	_, a, _ := fuzzClient(f)
	req, err := a.m.BootstrapCrossSigning()
	if err != nil {
		f.Fatal(err)
	}
	a.send(*req)
	a.flush()
	nb, err := a.m.Device().CreateBackupVersion()
	if err != nil {
		f.Fatal(err)
	}
	signed, err := a.m.SignBackupVersion(nb.Body)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add([]byte(`{"algorithm":"m.megolm_backup.v1.curve25519-aes-sha2","version":"1","auth_data":{"public_key":"x","signatures":{"@alice:example.org":{"ed25519:A1":"x"}}}}`))
	f.Fuzz(func(t *testing.T, info []byte) {
		tr, err := a.m.VerifyBackup(info)
		if err == nil && tr == nil {
			t.Fatal("no result and no error")
		}
		if err == nil && tr.Trusted && !tr.SignedByMaster && len(tr.SignedByDevices) == 0 && !tr.KeyMatches {
			t.Fatal("trusted for no reason")
		}
	})
}
