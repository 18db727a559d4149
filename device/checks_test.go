package device

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

func TestKeysForUploadRules(t *testing.T) {
	c := newClock()
	fsys := memFS(t)
	d, err := Open(openStore(t, fsys), Options{UserID: "@a:example.org", DeviceID: "A", Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	body, err := d.KeysForUpload(nil, []string{})
	if err != nil {
		t.Fatal(err)
	}
	up := unJSON(t, body)
	if up["device_keys"] == nil || len(up["one_time_keys"].(map[string]any)) != oneTimeKeyTarget || len(up["fallback_keys"].(map[string]any)) != 1 {
		t.Fatalf("first upload: %s", body)
	}
	// The keys are stored before the body is returned: another instance on
	// the same store (as after a crash) sees them.
	d.Close()
	d, err = Open(openStore(t, fsys), Options{UserID: "@a:example.org", DeviceID: "A", Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, _ := d.OneTimeKeyCount(); n != oneTimeKeyTarget {
		t.Fatalf("%d one-time keys stored", n)
	}
	// The upload was not confirmed: the same keys are offered again, no more.
	again, err := d.KeysForUpload(map[string]int{"signed_curve25519": 0}, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if string(mustJSON(t, unJSON(t, again)["one_time_keys"])) != string(mustJSON(t, up["one_time_keys"])) {
		t.Fatal("unconfirmed one-time keys must be offered again unchanged")
	}
	if err := d.MarkKeysUploaded([]byte(`{"one_time_key_counts":{"signed_curve25519":50}}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := d.KeysForUpload(map[string]int{"signed_curve25519": 50}, []string{"signed_curve25519"}); err != nil || b != nil {
		t.Fatalf("nothing to upload, got %s %v", b, err)
	}
	// 20 claimed: 20 new keys, no device keys (already uploaded).
	b, err := d.KeysForUpload(map[string]int{"signed_curve25519": 30}, []string{"signed_curve25519"})
	if err != nil {
		t.Fatal(err)
	}
	up = unJSON(t, b)
	if up["device_keys"] != nil || len(up["one_time_keys"].(map[string]any)) != 20 || up["fallback_keys"] != nil {
		t.Fatalf("top-up: %s", b)
	}
	if err := d.MarkKeysUploaded(nil); err != nil {
		t.Fatal(err)
	}
	// The server handed out the fallback key: a new one.
	b, err = d.KeysForUpload(map[string]int{"signed_curve25519": 50}, []string{})
	if err != nil || unJSON(t, b)["fallback_keys"] == nil || unJSON(t, b)["one_time_keys"] != nil {
		t.Fatalf("fallback rotation: %s %v", b, err)
	}
	d.MarkKeysUploaded(nil)
	// A week later it rotates although unused.
	c.advance(8 * 24 * time.Hour)
	b, err = d.KeysForUpload(map[string]int{"signed_curve25519": 50}, []string{"signed_curve25519"})
	if err != nil || unJSON(t, b)["fallback_keys"] == nil {
		t.Fatalf("weekly rotation: %s %v", b, err)
	}
	_, err = d.KeysForUpload(map[string]int{"signed_curve25519": -1}, nil)
	wantCode(t, err, errcode.BadInput)
}

func TestOutboundSessionsCheckSignatures(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	srv.sync(alice)
	srv.sync(bob)
	id := "@bob:example.org|BOB"
	good := srv.devices[id]

	tamper := func(f func(dk map[string]any)) []byte {
		dk := unJSON(t, mustJSON(t, good))
		f(dk)
		return mustJSON(t, map[string]any{"device_keys": map[string]any{"@bob:example.org": map[string]any{"BOB": dk}}})
	}
	gen, _ := alice.st.Generation()
	for name, q := range map[string]struct {
		query []byte
		code  errcode.Code
	}{
		"curve key swapped": {tamper(func(dk map[string]any) {
			dk["keys"].(map[string]any)["curve25519:BOB"] = alice.IdentityKeys().Curve25519
		}), errcode.BadSignature},
		"unsigned":        {tamper(func(dk map[string]any) { delete(dk, "signatures") }), errcode.BadSignature},
		"wrong device id": {tamper(func(dk map[string]any) { dk["device_id"] = "OTHER" }), errcode.BadInput},
	} {
		res, err := alice.CreateOutboundSessions(q.query, srv.claim("@bob:example.org", "BOB"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Sessions) != 0 || len(res.Failures) != 2 || res.Failures[0].Code != q.code || res.Failures[1].Code != NoOlmSession {
			t.Fatalf("%s: %+v", name, res)
		}
	}
	if g, _ := alice.st.Generation(); g != gen {
		t.Fatal("rejected devices must leave nothing behind")
	}
	// A claimed key not signed by the device.
	claim := unJSON(t, srv.claim("@bob:example.org", "BOB"))
	for _, obj := range claim["one_time_keys"].(map[string]any)["@bob:example.org"].(map[string]any)["BOB"].(map[string]any) {
		obj.(map[string]any)["key"] = b64.Encode(make([]byte, 32))
	}
	res, err := alice.CreateOutboundSessions(srv.query("@bob:example.org"), mustJSON(t, claim))
	if err != nil || len(res.Sessions) != 0 || len(res.Failures) != 1 || res.Failures[0].Code != errcode.BadSignature || res.Devices != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	_, err = alice.EncryptToDevice("@bob:example.org", "BOB", "m.x", []byte(`{}`))
	wantCode(t, err, NoOlmSession)
	// Later the server says Bob's device has another Ed25519 key: refused.
	other := newDevice(t, "@bob:example.org", "BOB", c)
	srv.sync(other)
	res, err = alice.CreateOutboundSessions(srv.query("@bob:example.org"), nil)
	if err != nil || len(res.Failures) != 1 || res.Failures[0].Code != errcode.BadSignature {
		t.Fatalf("changed device key: %+v %v", res, err)
	}
	// Malformed answers are errors.
	_, err = alice.CreateOutboundSessions([]byte(`[]`), nil)
	wantCode(t, err, errcode.BadInput)
}

func TestDecryptToDeviceChecksPayload(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	srv.sync(alice)
	srv.sync(bob)
	srv.connect(alice, bob)
	enc, err := alice.EncryptToDevice("@bob:example.org", "BOB", "m.x", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := bob.st.Generation()
	otks, _ := bob.OneTimeKeyCount()
	// The event claims another sender than the payload.
	forged := mustJSON(t, map[string]any{"type": "m.room.encrypted", "sender": "@mallory:example.org", "content": json.RawMessage(enc)})
	_, err = bob.DecryptToDevice(forged)
	wantCode(t, err, errcode.BadMessage)
	if g, _ := bob.st.Generation(); g != gen {
		t.Fatal("a refused message must not change the store")
	}
	if n, _ := bob.OneTimeKeyCount(); n != otks {
		t.Fatal("a refused message must not use up a one-time key")
	}
	// Unknown algorithm, broken body.
	_, err = bob.DecryptToDevice([]byte(`{"type":"m.room.encrypted","sender":"@alice:example.org","content":{"algorithm":"m.x","sender_key":"` + alice.IdentityKeys().Curve25519 + `","ciphertext":{}}}`))
	wantCode(t, err, errcode.UnsupportedAlgorithm)
	// An event without a type, or of another type, is refused before
	// anything else.
	genuine := unJSON(t, toDeviceEvent(t, alice, enc))
	for _, typ := range []any{nil, "", "m.room_key", 5} {
		ev := map[string]any{"sender": genuine["sender"], "content": genuine["content"]}
		if typ != nil {
			ev["type"] = typ
		}
		_, err = bob.DecryptToDevice(mustJSON(t, ev))
		wantCode(t, err, errcode.BadInput)
	}
	if g, _ := bob.st.Generation(); g != gen {
		t.Fatal("a refused event must not change the store")
	}
	// The genuine event still decrypts afterwards.
	ev, err := bob.DecryptToDevice(toDeviceEvent(t, alice, enc))
	if err != nil || string(ev.Content) != `{"a":1}` {
		t.Fatalf("%+v %v", ev, err)
	}
}

func TestSecretSharing(t *testing.T) {
	c := newClock()
	srv := newServer(t)
	old := newDevice(t, "@alice:example.org", "OLD", c)
	fresh := newDevice(t, "@alice:example.org", "NEW", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	for _, d := range []*Device{old, fresh, bob} {
		srv.sync(d)
	}
	nb, err := old.CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	req, err := fresh.RequestSecret(BackupSecretName)
	if err != nil {
		t.Fatal(err)
	}
	reqEvent := mustJSON(t, map[string]any{"type": "m.secret.request", "sender": "@alice:example.org", "content": json.RawMessage(req.Content)})
	if out, err := old.AnswerSecretRequest(reqEvent, false); err != nil || out != nil {
		t.Fatalf("unverified device answered: %s %v", out, err)
	}
	fromBob := mustJSON(t, map[string]any{"type": "m.secret.request", "sender": "@bob:example.org", "content": json.RawMessage(req.Content)})
	if out, err := old.AnswerSecretRequest(fromBob, true); err != nil || out != nil {
		t.Fatalf("another user answered: %s %v", out, err)
	}
	if out, err := bob.AnswerSecretRequest(reqEvent, true); err != nil || out != nil {
		t.Fatalf("a device of another user (without the secret) answered: %s %v", out, err)
	}
	_, err = old.AnswerSecretRequest(reqEvent, true)
	wantCode(t, err, NoOlmSession)
	srv.connect(old, fresh)
	answer, err := old.AnswerSecretRequest(reqEvent, true)
	if err != nil || answer == nil {
		t.Fatalf("%s %v", answer, err)
	}
	ev, err := fresh.DecryptToDevice(toDeviceEvent(t, old, answer))
	if err != nil {
		t.Fatal(err)
	}
	_, err = fresh.ReceiveSecret(ev, true)
	wantCode(t, err, errcode.BadInput) // OLD is not known from /keys/query yet
	forged := *ev
	forged.Verified = true
	_, err = fresh.ReceiveSecret(&forged, true)
	wantCode(t, err, errcode.BadInput) // the flag alone proves nothing
	if _, err := fresh.CreateOutboundSessions(srv.query("@alice:example.org"), nil); err != nil {
		t.Fatal(err)
	}
	ev, err = fresh.DecryptToDevice(toDeviceEvent(t, old, mustAnswer(t, old, reqEvent)))
	if err != nil || !ev.Verified {
		t.Fatalf("%+v %v", ev, err)
	}
	_, err = fresh.ReceiveSecret(ev, false)
	wantCode(t, err, errcode.BadInput)
	// A backup key that does not match the enabled backup is refused, and
	// the request stays open.
	if err := fresh.EnableBackup("1", b64.Encode(make([]byte, 32))); err != nil {
		t.Fatal(err)
	}
	_, err = fresh.ReceiveSecret(ev, true)
	wantCode(t, err, errcode.WrongKey)
	if err := fresh.EnableBackup("2", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	got, err := fresh.ReceiveSecret(ev, true)
	if err != nil || got.Name != BackupSecretName || got.Secret != b64.Encode(nb.PrivateKey) {
		t.Fatalf("%+v %v", got, err)
	}
	if s, found, _ := fresh.localSecret(BackupSecretName); !found || s != got.Secret {
		t.Fatal("the received secret is kept")
	}
	_, err = fresh.ReceiveSecret(ev, true)
	wantCode(t, err, errcode.BadInput) // the request is answered
	cancel, err := fresh.CancelSecretRequest(req.RequestID)
	if err != nil || unJSON(t, cancel)["action"] != "request_cancellation" {
		t.Fatalf("%s %v", cancel, err)
	}
}

func mustAnswer(t *testing.T, d *Device, req []byte) []byte {
	t.Helper()
	out, err := d.AnswerSecretRequest(req, true)
	if err != nil || out == nil {
		t.Fatalf("%s %v", out, err)
	}
	return out
}

func TestNoFallbackKeysWithoutServerSupport(t *testing.T) {
	d := newDevice(t, "@a:example.org", "A", newClock())
	body, err := d.KeysForUpload(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	up := unJSON(t, body)
	if up["fallback_keys"] != nil || up["one_time_keys"] == nil || up["device_keys"] == nil {
		t.Fatalf("%s", body)
	}
	if fb, _ := d.FallbackKeys(); len(fb) != 0 {
		t.Fatalf("no fallback key should be made: %+v", fb)
	}
}
