package machine

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

func enableNewBackup(t *testing.T, srv *relay, c *client, version string) *device.NewBackup {
	t.Helper()
	nb, err := c.m.Device().CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	srv.version = version
	srv.mu.Unlock()
	if err := c.m.EnableBackup(version, nb.PublicKey, nb.PrivateKey); err != nil {
		t.Fatal(err)
	}
	return nb
}

func TestBackupUploadsInBatchesAndStopsOnWrongVersion(t *testing.T) {
	srv, _, a, _, _ := setup(t)
	const rooms = 250 // more than one batch
	for i := 0; i < rooms; i++ {
		if _, err := a.m.Device().StartRoomSession("!r" + itoa(i) + ":example.org"); err != nil {
			t.Fatal(err)
		}
	}
	enableNewBackup(t, srv, a, "1")
	before := countRequests(srv, a, "backup_upload")
	a.flush()
	if got := countRequests(srv, a, "backup_upload") - before; got != 2 {
		t.Fatalf("%d backup uploads for %d keys, want 2 batches", got, rooms)
	}
	n := 0
	for _, sessions := range srv.backup {
		n += len(sessions)
	}
	if n != rooms {
		t.Fatalf("%d keys in the backup, want %d", n, rooms)
	}
	// Someone made a new backup version on the server.
	srv.mu.Lock()
	srv.version = "2"
	srv.mu.Unlock()
	if _, err := a.m.Device().StartRoomSession("!late:example.org"); err != nil {
		t.Fatal(err)
	}
	evs := a.flush()
	e := findEvent(evs, "backupVersionMismatch")
	if e == nil || e["version"] != "1" || e["errcode"] != "M_WRONG_ROOM_KEYS_VERSION" {
		t.Fatalf("events %v, want backupVersionMismatch for version 1", evs)
	}
	reqs, _ := a.m.OutgoingRequests()
	for _, r := range reqs {
		if r.Type == BackupUpload {
			t.Fatal("uploads continued after M_WRONG_ROOM_KEYS_VERSION")
		}
	}
	if v, _, _ := a.m.Device().EnabledBackup(); v != "" {
		t.Fatalf("backup %q still enabled", v)
	}
}

func countRequests(srv *relay, c *client, typ string) int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	n := 0
	for _, r := range srv.requests {
		if r == c.user+"|"+c.dev+" "+typ {
			n++
		}
	}
	return n
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestMissingKeyIsFetchedFromBackup(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "backed up")
	b1.sync()
	nb := enableNewBackup(t, srv, b1, "7")
	b1.flush()
	b3 := newClient(t, srv, "@bob:example.org", "B3", clk.now)
	b3.sync()
	if err := b3.m.UpdateTrackedUsers(members); err != nil {
		t.Fatal(err)
	}
	// A wrong key is refused.
	other, _ := b3.m.Device().CreateBackupVersion()
	if err := b3.m.EnableBackup("7", nb.PublicKey, other.PrivateKey); errcode.Of(err) != errcode.WrongKey {
		t.Fatalf("wrong backup key: %v, want WRONG_KEY", err)
	}
	if err := b3.m.EnableBackup("7", nb.PublicKey, nb.PrivateKey); err != nil {
		t.Fatal(err)
	}
	_, err := b3.decrypt(room, ev)
	wantCode(t, err, device.UnknownSession)
	evs := b3.flush()
	if e := findEvent(evs, "roomKeyReceived"); e == nil || e["source"] != "backup" {
		t.Fatalf("events %v, want roomKeyReceived from backup", evs)
	}
	r := mustDecrypt(t, b3, ev, "backed up")
	if r.SenderDevice == nil || r.SenderDevice.DeviceID != "A1" || !r.Imported {
		t.Fatalf("sender device %+v imported %v", r.SenderDevice, r.Imported)
	}
	// A session the backup does not have: one GET, a 404, no loop.
	missing := decodeJSON(t, ev)
	missing["content"].(map[string]any)["session_id"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	missing["event_id"] = "$missing"
	if _, err := b3.decrypt(room, toJSON(t, missing)); errcode.Of(err) != device.UnknownSession {
		t.Fatal(err)
	}
	before := countRequests(srv, b3, "backup_get")
	b3.flush()
	b3.decrypt(room, toJSON(t, missing))
	b3.flush()
	if got := countRequests(srv, b3, "backup_get") - before; got != 1 {
		t.Fatalf("%d backup fetches for one missing session, want 1", got)
	}
}

func TestBackupKeySharedBySecretRequest(t *testing.T) {
	srv, clk, _, b1, _ := setup(t)
	nb := enableNewBackup(t, srv, b1, "3")
	b3 := newClient(t, srv, "@bob:example.org", "B3", clk.now)
	b3.sync()
	b1.sync()
	if err := b1.m.SetDeviceTrust("@bob:example.org", "B3", Trusted); err != nil {
		t.Fatal(err)
	}
	if err := b3.m.SetDeviceTrust("@bob:example.org", "B1", Trusted); err != nil {
		t.Fatal(err)
	}
	if err := b3.m.RequestSecret(device.BackupSecretName); err != nil {
		t.Fatal(err)
	}
	b3.flush()
	b1.sync() // answers (claims a key for B3 first if needed)
	res := b3.sync()
	e := findEvent(res.Events, "secretReceived")
	if e == nil || e["name"] != device.BackupSecretName || e["secret"] != b64.Encode(nb.PrivateKey) {
		t.Fatalf("events %v, want the backup key", res.Events)
	}
	for _, r := range res.ToDevice {
		if r.Decrypted != nil && r.Decrypted.Type == "m.secret.send" && string(r.Decrypted.Content) != "{}" {
			t.Fatal("the secret was handed back in the to-device result")
		}
	}
	key, held, err := b3.m.Device().LocalBackupKey()
	if err != nil || !held || b64.Encode(key) != b64.Encode(nb.PrivateKey) {
		t.Fatalf("B3 does not hold the backup key: %v %v", held, err)
	}
}

func TestBackupKeyHeldLocallyIsUsedOnlyForItsVersion(t *testing.T) {
	srv, clk, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	ev := a.roomEvent(room, "held locally")
	b1.sync()
	nb := enableNewBackup(t, srv, b1, "5")
	b1.flush()
	b3 := newClient(t, srv, "@bob:example.org", "B3", clk.now)
	b3.sync()
	// Another backup's key is held (stale secret): no fetch is attempted.
	other, _ := b3.m.Device().CreateBackupVersion()
	if err := b3.m.EnableBackup("5", nb.PublicKey, nil); err != nil {
		t.Fatal(err)
	}
	if err := b3.m.Device().SetLocalSecret(device.BackupSecretName, b64.Encode(other.PrivateKey)); err != nil {
		t.Fatal(err)
	}
	b3.decrypt(room, ev)
	if n := len(requestsOf(t, b3, BackupGet)); n != 0 {
		t.Fatalf("%d backup fetches with a key of another version", n)
	}
	// The right key arrives (as device.getSecret would keep it): fetched.
	if err := b3.m.Device().SetLocalSecret(device.BackupSecretName, b64.Encode(nb.PrivateKey)); err != nil {
		t.Fatal(err)
	}
	ev2 := decodeJSON(t, ev)
	ev2["event_id"] = "$second-try"
	b3.decrypt(room, toJSON(t, ev2))
	b3.flush()
	mustDecrypt(t, b3, toJSON(t, ev2), "held locally")
}

func requestsOf(t *testing.T, c *client, typ string) []Request {
	reqs, err := c.m.OutgoingRequests()
	if err != nil {
		t.Fatal(err)
	}
	var out []Request
	for _, r := range reqs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}
