package device

import (
	"encoding/json"
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// Vectors from docs/vectors.md; each names its section.

// §5.7: a key export file written by matrix-rust-sdk, passphrase "1234"
// (testdata/vectors/backup.json key_export).
var rustSDKExport = vectors.MustBackup().KeyExport.File

func TestVectorRustSDKKeyExport(t *testing.T) {
	plain, err := decryptExport(rustSDKExport, "1234")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(plain), `[{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!test:localhost",`) {
		t.Fatalf("plaintext starts %.80s", plain)
	}
	var list []map[string]any
	if err := json.Unmarshal(plain, &list); err != nil || len(list) == 0 {
		t.Fatalf("%d sessions, %v", len(list), err)
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	res, err := d.ImportRoomKeys(rustSDKExport, "1234", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != len(list) || res.Imported != len(list) || len(res.Failures) != 0 {
		t.Fatalf("%+v", res)
	}
	for _, s := range list {
		if _, found, err := d.st.GetInbound(s["room_id"].(string), s["session_id"].(string)); err != nil || !found {
			t.Fatalf("session %v not stored: %v", s["session_id"], err)
		}
	}
	_, err = d.ImportRoomKeys(rustSDKExport, "12345", nil)
	wantCode(t, err, errcode.BadMAC)
}

// §3.3: matrix-js-sdk's exported session and the event encrypted with it
// (testdata/vectors/megolm.json); the content of the event's plaintext.
var (
	jsSDKCiphertext    = vectors.MustMegolm().ExportedSession.EventCiphertext
	jsSDKClearEventRaw = func() string {
		var ev struct {
			Content json.RawMessage `json:"content"`
		}
		if err := json.Unmarshal([]byte(vectors.MustMegolm().ExportedSession.EventPlaintext), &ev); err != nil {
			panic(err)
		}
		return string(ev.Content)
	}()
)

// §3.3's session is §5.3's backed-up plaintext; §5.3 encrypts it to Alice's
// key (§1.1), whose recovery key is §5.2's.
var (
	jsSDKBackupVector = vectors.MustBackup().SessionData["jssdk_generated"]
	jsSDKSession      = string(jsSDKBackupVector.Plaintext)
	jsSDKBackupData   = jsSDKBackupVector.SessionData
	jsSDKRecoveryKey  = vectors.MustBackup().RecoveryKeys[0].Text
	jsSDKBackupPublic = vectors.MustX25519().Keys["rfc7748_alice"].PublicB64
)

func jsSDKEvent(t *testing.T) []byte {
	return mustJSON(t, map[string]any{"event_id": "$js", "room_id": "!room:id", "content": map[string]any{
		"algorithm": "m.megolm.v1.aes-sha2", "session_id": jsSDKSessionField("session_id"),
		"sender_key": jsSDKSessionField("sender_key"), "device_id": "TEST", "ciphertext": jsSDKCiphertext,
	}})
}

func TestVectorJSSDKExportedSessionDecryptsEvent(t *testing.T) {
	file, err := encryptExportPass([]byte("["+jsSDKSession+"]"), "x", 1)
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	res, err := d.ImportRoomKeys(file, "x", nil)
	if err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	re, err := d.DecryptRoomEvent("!room:id", jsSDKEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	if re.Type != "m.room.message" || string(re.Content) != jsSDKClearEventRaw || re.SenderEd25519 != jsSDKSessionField("sender_claimed_keys") {
		t.Fatalf("%+v %s", re, re.Content)
	}
	// Our export of it reads back as the same session, shared-history flag kept.
	out, err := d.ExportRoomKeys("y", 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := decryptExport(out, "y")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(plain, &list); err != nil || len(list) != 1 {
		t.Fatal(err)
	}
	var orig map[string]any
	json.Unmarshal([]byte(jsSDKSession), &orig)
	for _, k := range []string{"session_key", "session_id", "sender_key", "room_id", "m.shared_history"} {
		if list[0][k] != orig[k] {
			t.Fatalf("%s: %v, want %v", k, list[0][k], orig[k])
		}
	}
}

func TestVectorJSSDKBackupRestore(t *testing.T) {
	priv, err := recoverykey.Decode(jsSDKRecoveryKey)
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, map[string]any{"rooms": map[string]any{"!room:id": map[string]any{"sessions": map[string]any{
		jsSDKSessionField("session_id"): map[string]any{
			"first_message_index": 1, "forwarded_count": 0, "is_verified": false,
			"session_data": map[string]any{"ephemeral": jsSDKBackupData.Ephemeral, "mac": jsSDKBackupData.MAC, "ciphertext": jsSDKBackupData.Ciphertext},
		},
	}}}})
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	if err := d.EnableBackup("1", jsSDKBackupPublic); err != nil {
		t.Fatal(err)
	}
	res, err := d.RestoreBackup(priv, body, nil)
	if err != nil || res.Imported != 1 || len(res.Failures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	re, err := d.DecryptRoomEvent("!room:id", jsSDKEvent(t))
	if err != nil || string(re.Content) != jsSDKClearEventRaw || !re.Imported {
		t.Fatalf("%+v %v", re, err)
	}
}

// §5.4: two backup entries written by mautrix-go, restored through the
// device (the session ids are not in the vector: they are the keys' ids).
func TestVectorMautrixBackupRestore(t *testing.T) {
	mautrix := []vectors.BackupVector{vectors.BackupVectorNamed(t, "mautrix_case1"), vectors.BackupVectorNamed(t, "mautrix_case2")}
	priv := mautrix[0].PrivateKey(t)
	pub, err := backup.PublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	type plain struct {
		SenderKey         string            `json:"sender_key"`
		SessionKey        string            `json:"session_key"`
		SenderClaimedKeys map[string]string `json:"sender_claimed_keys"`
	}
	var cases []struct {
		ephemeral, mac, ciphertext string
		plain
	}
	for _, v := range mautrix {
		var p plain
		if err := json.Unmarshal(v.Plaintext, &p); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			ephemeral, mac, ciphertext string
			plain
		}{v.SessionData.Ephemeral, v.SessionData.MAC, v.SessionData.Ciphertext, p})
	}
	sessions := map[string]any{}
	var ids []string
	for _, c := range cases {
		s, err := megolm.ImportInboundGroupSession(c.SessionKey)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.SessionID())
		sessions[s.SessionID()] = map[string]any{"first_message_index": 0, "forwarded_count": 0, "is_verified": false,
			"session_data": map[string]any{"ephemeral": c.ephemeral, "mac": c.mac, "ciphertext": c.ciphertext}}
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	if err := d.EnableBackup("1", pub); err != nil {
		t.Fatal(err)
	}
	const room = "!mautrix:example.org"
	res, err := d.RestoreBackup(priv, mustJSON(t, map[string]any{"rooms": map[string]any{room: map[string]any{"sessions": sessions}}}), nil)
	if err != nil || res.Imported != 2 || len(res.Failures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for i, id := range ids {
		fwd, err := d.ForwardRoomKey(room, id)
		if err != nil {
			t.Fatal(err)
		}
		got := unJSON(t, fwd)
		if got["session_key"] != cases[i].SessionKey || got["sender_key"] != cases[i].SenderKey || got["sender_claimed_ed25519_key"] != cases[i].SenderClaimedKeys["ed25519"] {
			t.Fatalf("session %d stored as %s", i, fwd)
		}
	}
}

// jsSDKSessionField is a field of §3.3's MEGOLM_SESSION_DATA (for
// sender_claimed_keys, its ed25519 key).
func jsSDKSessionField(name string) string {
	var m map[string]any
	if err := json.Unmarshal(jsSDKBackupVector.Plaintext, &m); err != nil {
		panic(err)
	}
	if name == "sender_claimed_keys" {
		return m[name].(map[string]any)["ed25519"].(string)
	}
	return m[name].(string)
}
