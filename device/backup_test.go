package device

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/store"
)

// sentEvent is a room event made outside the device and what it decrypts to.
type sentEvent struct {
	room, eventID string
	event         []byte
	want          string
}

// bulkKeys makes n Megolm sessions as a creator device would, an event in
// every 100th, and a key export file holding all of them.
func bulkKeys(t *testing.T, n int, pass string) (string, []sentEvent) {
	t.Helper()
	creatorCurve := b64.Encode([]byte(strings.Repeat("c", 32)))
	creatorEd := b64.Encode([]byte(strings.Repeat("e", 32)))
	var list []any
	var events []sentEvent
	for i := range n {
		room := fmt.Sprintf("!room%d:example.org", i%97)
		s := megolm.NewOutboundGroupSession()
		key, err := s.InboundSession().Export(0)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, map[string]any{
			"algorithm": megolm.Algorithm, "room_id": room, "session_id": s.SessionID(), "session_key": key,
			"sender_key": creatorCurve, "sender_claimed_keys": map[string]any{"ed25519": creatorEd},
			"forwarding_curve25519_key_chain": []any{},
		})
		if i%100 == 0 {
			body := fmt.Sprintf(`{"body":"message %d"}`, i)
			ct, err := s.Encrypt(mustJSON(t, map[string]any{"type": "m.room.message", "room_id": room, "content": json.RawMessage(body)}))
			if err != nil {
				t.Fatal(err)
			}
			content := mustJSON(t, map[string]any{"algorithm": megolm.Algorithm, "session_id": s.SessionID(), "ciphertext": ct, "sender_key": creatorCurve, "device_id": "CREATOR"})
			id := fmt.Sprintf("$event%d", i)
			events = append(events, sentEvent{room: room, eventID: id, event: roomEvent(t, id, content), want: body})
		}
	}
	file, err := encryptExportPass(mustJSON(t, list), pass, 1)
	if err != nil {
		t.Fatal(err)
	}
	return file, events
}

// backupServer holds one backup version's keys.
type backupServer struct {
	rooms map[string]map[string]any
}

func (b *backupServer) put(t *testing.T, body []byte) {
	var up struct {
		Rooms map[string]struct {
			Sessions map[string]any `json:"sessions"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal(body, &up); err != nil {
		t.Fatal(err)
	}
	for room, r := range up.Rooms {
		if b.rooms[room] == nil {
			b.rooms[room] = map[string]any{}
		}
		for sid, data := range r.Sessions {
			b.rooms[room][sid] = data
		}
	}
}

func (b *backupServer) body(t *testing.T) []byte {
	rooms := map[string]any{}
	for room, sessions := range b.rooms {
		rooms[room] = map[string]any{"sessions": sessions}
	}
	return mustJSON(t, map[string]any{"rooms": rooms})
}

func TestBackupFiveThousandSessionsAndRestore(t *testing.T) {
	const n = 5000
	c := newClock()
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	file, events := bulkKeys(t, n, "export pass")
	res, err := alice.ImportRoomKeys(file, "export pass", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != n || len(res.Failures) != 0 {
		t.Fatalf("import: %+v", res)
	}
	// Alice's own room session is backed up too.
	own, err := alice.EncryptRoomEvent("!own:example.org", "m.room.message", []byte(`{"body":"mine"}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	events = append(events, sentEvent{room: "!own:example.org", eventID: "$own", event: roomEvent(t, "$own", own.Content), want: `{"body":"mine"}`})

	_, err = alice.NextBackupBatch(100)
	wantCode(t, err, BackupNotEnabled)

	nb, err := alice.CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	version := unJSON(t, nb.Body)
	version["version"] = "1"
	trust, err := alice.VerifyBackupAuthData(mustJSON(t, version), nil)
	if err != nil || !trust.Trusted || !trust.KeyMatches || len(trust.SignedBy) != 1 || trust.SignedBy[0] != "ALICE" {
		t.Fatalf("trust %+v %v", trust, err)
	}
	// A tampered auth_data is not signed, and a stranger's key does not match.
	version["auth_data"].(map[string]any)["public_key"] = b64.Encode(make([]byte, 32))
	trust, err = alice.VerifyBackupAuthData(mustJSON(t, version), nil)
	if err != nil || trust.Trusted || len(trust.SignedBy) != 0 || trust.KeyMatches {
		t.Fatalf("tampered auth_data: %+v %v", trust, err)
	}
	if err := alice.EnableBackup("1", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	if total, backed, _ := alice.RoomKeyCounts(); total != n+1 || backed != 0 {
		t.Fatalf("counts %d/%d", total, backed)
	}
	srv := &backupServer{rooms: map[string]map[string]any{}}
	batches := 0
	for {
		batch, err := alice.NextBackupBatch(1000)
		if err != nil {
			t.Fatal(err)
		}
		if batch == nil {
			break
		}
		if batch.Version != "1" || batch.Count == 0 || batch.Count > 1000 {
			t.Fatalf("batch %s %d", batch.Version, batch.Count)
		}
		srv.put(t, batch.Body)
		if err := alice.MarkBackedUp(batch); err != nil {
			t.Fatal(err)
		}
		batches++
	}
	if batches != (n+1+999)/1000 {
		t.Fatalf("%d batches", batches)
	}
	if total, backed, _ := alice.RoomKeyCounts(); total != n+1 || backed != n+1 {
		t.Fatalf("after backup: counts %d/%d", total, backed)
	}

	// Secret storage carries the backup key to the new device.
	// Secret storage with a passphrase-derived key (few PBKDF2 rounds to
	// keep the test quick; the derivation is the same).
	pass := &ssss.PassphraseInfo{Algorithm: passphrase.Algorithm, Salt: passphrase.NewSalt(32), Iterations: 1000, Bits: 256}
	ssssKey, err := passphrase.DeriveKey("correct horse battery staple", pass.Salt, pass.Iterations, pass.KeyBits())
	if err != nil {
		t.Fatal(err)
	}
	keyInfo, err := ssss.NewKeyInfo(ssssKey, "m.default", pass)
	if err != nil {
		t.Fatal(err)
	}
	keyID := ssss.NewKeyID()
	secretContent, err := alice.StoreSecret(BackupSecretName, b64.Encode(nb.PrivateKey), keyID, ssssKey)
	if err != nil {
		t.Fatal(err)
	}

	body := srv.body(t)
	for _, route := range []string{"recovery key", "passphrase secret storage"} {
		t.Run(route, func(t *testing.T) {
			fresh := newDevice(t, "@alice:example.org", "NEWDEVICE", c)
			var priv []byte
			if route == "recovery key" {
				priv, err = recoverykey.Decode(nb.RecoveryKey)
			} else {
				_, err = fresh.GetSecret(BackupSecretName, secretContent, keyID, make([]byte, 32))
				wantCode(t, err, errcode.BadMAC)
				var typed []byte
				typed, err = passphrase.DeriveKey("correct horse battery staple", keyInfo.Passphrase.Salt, keyInfo.Passphrase.Iterations, keyInfo.Passphrase.KeyBits())
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := ssss.CheckKey(typed, keyInfo); err != nil || !ok {
					t.Fatalf("key check: %v %v", ok, err)
				}
				var s string
				s, err = fresh.GetSecret(BackupSecretName, secretContent, "", typed)
				if err == nil {
					priv, err = b64.Decode(s)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = fresh.RestoreBackup(priv, body, nil)
			wantCode(t, err, BackupNotEnabled)
			if err := fresh.EnableBackup("1", nb.PublicKey); err != nil {
				t.Fatal(err)
			}
			wrong := make([]byte, 32)
			wrong[0] = 1
			_, err = fresh.RestoreBackup(wrong, body, nil)
			wantCode(t, err, errcode.WrongKey)

			calls := 0
			res, err := fresh.RestoreBackup(priv, body, func(stage string, done, total int) { calls++ })
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != n+1 || res.Imported != n+1 || res.Skipped != 0 || len(res.Failures) != 0 || calls < 10 {
				t.Fatalf("restore %+v, %d progress calls", res, calls)
			}
			if total, backed, _ := fresh.RoomKeyCounts(); total != n+1 || backed != n+1 {
				t.Fatalf("restored keys count as backed up: %d/%d", total, backed)
			}
			for _, e := range events {
				re, err := fresh.DecryptRoomEvent(e.room, e.event)
				if err != nil {
					t.Fatalf("%s: %v", e.eventID, err)
				}
				if string(re.Content) != e.want || !re.Imported {
					t.Fatalf("%s: %s", e.eventID, re.Content)
				}
			}
			again, err := fresh.RestoreBackup(priv, body, nil)
			if err != nil || again.Imported != 0 || again.Skipped != n+1 {
				t.Fatalf("second restore %+v %v", again, err)
			}
		})
	}
}

func TestRestoreCountsBadEntries(t *testing.T) {
	c := newClock()
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	if _, err := alice.EncryptRoomEvent("!a:example.org", "m.room.message", []byte(`{}`), megolm.RotationPolicy{}); err != nil {
		t.Fatal(err)
	}
	nb, err := alice.CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.EnableBackup("7", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	batch, err := alice.NextBackupBatch(10)
	if err != nil || batch == nil || batch.Count != 1 {
		t.Fatalf("%v %v", batch, err)
	}
	srv := &backupServer{rooms: map[string]map[string]any{}}
	srv.put(t, batch.Body)
	// An entry whose MAC says it was made for another key, and one that is
	// not a record at all.
	for _, r := range srv.rooms {
		var sid string
		for id := range r {
			sid = id
		}
		cp := unJSON(t, mustJSON(t, r[sid]))
		cp["session_data"].(map[string]any)["mac"] = "AAAAAAAAAAA"
		r[sid+"x"] = cp
	}
	srv.rooms["!b:example.org"] = map[string]any{"s": "not a record"}
	// A valid record filed under a room id no store can hold.
	for sid, rec := range srv.rooms["!a:example.org"] {
		if !strings.HasSuffix(sid, "x") {
			srv.rooms["!"+strings.Repeat("x", 2000)] = map[string]any{sid: rec}
		}
	}
	fresh := newDevice(t, "@alice:example.org", "FRESH", c)
	if err := fresh.EnableBackup("7", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	gen, _ := fresh.st.Generation()
	res, err := fresh.RestoreBackup(nb.PrivateKey, srv.body(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 4 || res.Imported != 1 || res.Failures[errcode.BadInput] != 2 || res.Failures[errcode.WrongKey]+res.Failures[errcode.BadMAC] != 1 {
		t.Fatalf("%+v", res)
	}
	if g, _ := fresh.st.Generation(); g != gen+1 {
		t.Fatalf("a restore is one commit: generation %d → %d", gen, g)
	}
}

func TestKeyExportRoundTrip(t *testing.T) {
	c := newClock()
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	bob := newDevice(t, "@bob:example.org", "BOB", c)
	out, err := alice.EncryptRoomEvent("!r:example.org", "m.room.message", []byte(`{"body":"exported"}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := alice.ExportRoomKeys("pass phrase", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(file, exportHeader+"\n") || !strings.HasSuffix(file, "\n"+exportFooter+"\n") {
		t.Fatalf("file framing:\n%s", file)
	}
	for _, line := range strings.Split(strings.TrimSpace(file), "\n") {
		if len(line) > exportLine {
			t.Fatalf("line of %d characters", len(line))
		}
	}
	_, err = bob.ImportRoomKeys(file, "wrong", nil)
	wantCode(t, err, errcode.BadMAC)
	res, err := bob.ImportRoomKeys(file, "pass phrase", nil)
	if err != nil || res.Imported != 1 || len(res.Failures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	re, err := bob.DecryptRoomEvent("!r:example.org", roomEvent(t, "$x", out.Content))
	if err != nil || string(re.Content) != `{"body":"exported"}` || re.SenderKey != alice.IdentityKeys().Curve25519 || re.SenderEd25519 != alice.IdentityKeys().Ed25519 {
		t.Fatalf("%+v %v", re, err)
	}
	// Damage: a flipped ciphertext byte fails the MAC.
	lines := strings.Split(file, "\n")
	b := []byte(lines[1])
	if b[40] == 'A' {
		b[40] = 'B'
	} else {
		b[40] = 'A'
	}
	lines[1] = string(b)
	_, err = bob.ImportRoomKeys(strings.Join(lines, "\n"), "pass phrase", nil)
	wantCode(t, err, errcode.BadMAC)
	_, err = bob.ImportRoomKeys("hello", "pass phrase", nil)
	wantCode(t, err, errcode.BadInput)
}

// The restore path the JS loader uses: entries decrypted elsewhere, then
// added and committed.
func TestRestoreDecryptedElsewhere(t *testing.T) {
	c := newClock()
	events, nb, dec := backedUpEvents(t, c, 30, 4)
	fresh := newDevice(t, "@alice:example.org", "FRESH", c)
	_, err := fresh.BeginRestore(nb.PrivateKey)
	wantCode(t, err, BackupNotEnabled)
	if err := fresh.EnableBackup("v", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	_, err = fresh.BeginRestore(make([]byte, 32))
	wantCode(t, err, errcode.WrongKey)
	aborted, err := fresh.BeginRestore(nb.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	abortedKey := aborted.key
	aborted.Abort()
	if !bytes.Equal(abortedKey, make([]byte, 32)) {
		t.Fatal("an aborted restore keeps its copy of the private key")
	}
	if _, err := aborted.Commit(nil); errcode.Of(err) != errcode.BadInput {
		t.Fatal("an aborted restore must not commit")
	}
	r, err := fresh.BeginRestore(nb.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range dec.Sessions {
		r.add(s.RoomID, s.SessionID, s.SessionData)
	}
	r.add("!r0:example.org", "bogus", []byte(`{"algorithm":"m.megolm.v1.aes-sha2"}`))
	r.AddFailure(errcode.WrongKey)
	res, err := r.Commit(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 32 || res.Imported != 30 || res.Failures[errcode.BadInput] != 1 || res.Failures[errcode.WrongKey] != 1 {
		t.Fatalf("%+v", res)
	}
	if _, err := r.Commit(nil); errcode.Of(err) != errcode.BadInput {
		t.Fatal("a second commit must be refused")
	}
	if total, backed, _ := fresh.RoomKeyCounts(); total != 30 || backed != 30 {
		t.Fatalf("%d/%d", total, backed)
	}
	for _, e := range events {
		re, err := fresh.DecryptRoomEvent(e.room, e.event)
		if err != nil || string(re.Content) != e.want {
			t.Fatalf("%s: %v", e.eventID, err)
		}
	}
}

// Keys prepared in another instance (a worker thread's) and added with
// AddPrepared restore like any others; records that do not decode or do not
// match their ids are counted, not stored.
func TestRestorePreparedElsewhere(t *testing.T) {
	c := newClock()
	events, nb, dec := backedUpEvents(t, c, 12, 3)
	fresh := newDevice(t, "@alice:example.org", "FRESH", c)
	if err := fresh.EnableBackup("v", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	r, err := fresh.BeginRestore(nb.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	var good store.InboundSession
	for _, s := range dec.Sessions {
		rec, err := PrepareRestored(s.RoomID, s.SessionID, s.SessionData)
		if err != nil {
			t.Fatal(err)
		}
		r.AddPrepared(rec)
		good = rec
	}
	if _, err := PrepareRestored("!r0:example.org", "x", []byte("not json")); errcode.Of(err) != errcode.BadMessage {
		t.Fatalf("not JSON: %v", err)
	}
	other := good
	other.SessionID = "AAAA"
	r.AddPrepared(other)
	moved := good
	moved.FirstKnownIndex++
	r.AddPrepared(moved)
	badRoom := good
	badRoom.RoomID = "no bang"
	r.AddPrepared(badRoom)
	junk := good
	junk.State = []byte("junk")
	r.AddPrepared(junk)
	res, err := r.Commit(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 16 || res.Imported != 12 || res.Failures[errcode.BadInput] != 3 || res.Failures[errcode.BadPickle] != 1 {
		t.Fatalf("%+v", res)
	}
	if total, backed, _ := fresh.RoomKeyCounts(); total != 12 || backed != 12 {
		t.Fatalf("%d/%d", total, backed)
	}
	for _, e := range events {
		re, err := fresh.DecryptRoomEvent(e.room, e.event)
		if err != nil || string(re.Content) != e.want {
			t.Fatalf("%s: %v", e.eventID, err)
		}
	}
}

// backedUpEvents has a device send n room events over rooms rooms, each
// with a new session, back the sessions up, and decrypt the backup batch
// as the JS loader would; it returns the events to check a restore with.
func backedUpEvents(t *testing.T, c *clock, n, rooms int) ([]sentEvent, *NewBackup, *backup.Result) {
	t.Helper()
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	var events []sentEvent
	for i := range n {
		room := fmt.Sprintf("!r%d:example.org", i%rooms)
		if err := alice.DiscardRoomSession(room); err != nil {
			t.Fatal(err)
		}
		out, err := alice.EncryptRoomEvent(room, "m.room.message", mustJSON(t, map[string]any{"i": i}), megolm.RotationPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, sentEvent{room: room, eventID: fmt.Sprint("$", i), event: roomEvent(t, fmt.Sprint("$", i), out.Content), want: string(mustJSON(t, map[string]any{"i": i}))})
	}
	nb, err := alice.CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.EnableBackup("v", nb.PublicKey); err != nil {
		t.Fatal(err)
	}
	batch, err := alice.NextBackupBatch(100)
	if err != nil || batch.Count != n {
		t.Fatalf("%v %v", batch, err)
	}
	dec, err := backup.DecryptMany(nb.PrivateKey, batch.Body, nil)
	if err != nil || len(dec.Sessions) != n {
		t.Fatalf("%v %v", dec, err)
	}
	return events, nb, dec
}
