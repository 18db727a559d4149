package device

import (
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// copyDir copies the files of the store directory "keys" (not its
// high-water mark, which lives beside it).
func copyDir(t *testing.T, fsys hackpadfs.FS) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := hackpadfs.ReadDir(fsys, "keys")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := hackpadfs.ReadFile(fsys, "keys/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// restoreDirCopy puts an older copy of the directory back over the store.
func restoreDirCopy(t *testing.T, fsys hackpadfs.FS, old map[string][]byte) {
	t.Helper()
	entries, err := hackpadfs.ReadDir(fsys, "keys")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := hackpadfs.Remove(fsys, "keys/"+e.Name()); err != nil {
			t.Fatal(err)
		}
	}
	for n, b := range old {
		if err := hackpadfs.WriteFullFile(fsys, "keys/"+n, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// rollbackWorld is Alice, whose store is restored from an older copy, and
// Bob and Carol, who check every message she sends after it: a reused
// Megolm or Olm message key shows as a refused message at the recipient.
type rollbackWorld struct {
	t                *testing.T
	c                *clock
	srv              *server
	fsys             hackpadfs.FS
	alice, bob, carl *Device
	sessionID        string // Alice's room session before the rollback
	old              map[string][]byte
	events           int
}

const rollbackRoom = "!rollback:example.org"

func newRollbackWorld(t *testing.T) *rollbackWorld {
	w := &rollbackWorld{t: t, c: newClock(), srv: newServer(t), fsys: memFS(t)}
	var err error
	w.alice, err = Open(openStore(t, w.fsys), Options{UserID: "@alice:example.org", DeviceID: "ALICE", Clock: w.c.now})
	if err != nil {
		t.Fatal(err)
	}
	w.bob = newDevice(t, "@bob:example.org", "BOB", w.c)
	w.carl = newDevice(t, "@carl:example.org", "CARL", w.c)
	for _, d := range []*Device{w.alice, w.bob, w.carl} {
		w.srv.sync(d)
	}
	// Alice and Bob talk both ways (her session has Bob's chain to
	// answer); Carl never answers (her session with him has only her
	// sending chain).
	w.srv.connect(w.alice, w.bob)
	w.srv.connect(w.alice, w.carl)
	w.olm(w.alice, w.bob, nil)
	if _, err := w.bob.CreateOutboundSessions(w.srv.query(w.alice.UserID()), nil); err != nil {
		t.Fatal(err)
	}
	w.olm(w.bob, w.alice, nil)
	out := w.room(nil)
	w.sessionID = out.SessionID
	share(t, w.alice, out.RoomKey, w.bob, w.carl)
	w.read(out, nil)
	w.olm(w.alice, w.carl, nil)
	w.old = copyDir(t, w.fsys)

	// After the copy: more room messages and more Olm messages on both
	// sessions, all read.
	for range 3 {
		w.read(w.room(nil), nil)
		w.olm(w.alice, w.bob, nil)
		w.olm(w.alice, w.carl, nil)
	}
	w.alice.Close()
	return w
}

// olm sends one to-device message from a to b, which must decrypt it (or
// fail with want).
func (w *rollbackWorld) olm(a, b *Device, want *errcode.Code) {
	w.t.Helper()
	enc, err := a.EncryptToDevice(b.UserID(), b.DeviceID(), "m.dummy", []byte(`{}`))
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = b.DecryptToDevice(toDeviceEvent(w.t, a, enc))
	w.check(err, want, "to-device message")
}

func (w *rollbackWorld) check(err error, want *errcode.Code, what string) {
	w.t.Helper()
	switch {
	case want == nil && err != nil:
		w.t.Fatalf("%s: %v", what, err)
	case want != nil && errcode.Of(err) != *want:
		w.t.Fatalf("%s: got %v, want %s", what, err, *want)
	}
}

func (w *rollbackWorld) room(policy *megolm.RotationPolicy) *RoomEncrypted {
	w.t.Helper()
	out, err := w.alice.EncryptRoomEvent(rollbackRoom, "m.room.message", []byte(`{"body":"x"}`), megolm.RotationPolicy{})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// read has Bob and Carl decrypt a room message as a new event.
func (w *rollbackWorld) read(out *RoomEncrypted, want *errcode.Code) {
	w.t.Helper()
	w.events++
	ev := roomEvent(w.t, "$"+string(rune('a'+w.events)), out.Content)
	for _, d := range []*Device{w.bob, w.carl} {
		_, err := d.DecryptRoomEvent(rollbackRoom, ev)
		w.check(err, want, "room message")
	}
}

// reopenRolledBack opens Alice's restored store with AllowRollback and
// her device on it; the device must recover the store.
func (w *rollbackWorld) reopenRolledBack() *store.Store {
	t := w.t
	st, err := store.Open(w.fsys, "keys", store.Options{Key: testStoreKey, AllowRollback: true})
	if err != nil {
		t.Fatal(err)
	}
	// The wrong identity is refused before anything is discarded.
	_, err = Open(st, Options{UserID: "@mallory:example.org", DeviceID: "ALICE"})
	wantCode(t, err, errcode.BadInput)
	if !st.RolledBack() {
		t.Fatal("a refused Open ran the recovery")
	}
	w.alice, err = Open(st, Options{UserID: "@alice:example.org", DeviceID: "ALICE", Clock: w.c.now})
	if err != nil {
		t.Fatal(err)
	}
	if st.RolledBack() {
		t.Fatal("the device did not recover the store")
	}
	return st
}

// talk has Alice send a new room message and share its key, then more
// room and Olm messages (and, if replies, Bob's answer and hers); every
// one is read.
func (w *rollbackWorld) talk(replies bool) {
	t := w.t
	out := w.room(nil)
	if out.RoomKey == nil || out.SessionID == w.sessionID {
		t.Fatal("the room session used before the rollback was used again")
	}
	share(t, w.alice, out.RoomKey, w.bob, w.carl)
	w.read(out, nil)
	for range 3 {
		w.read(w.room(nil), nil)
		w.olm(w.alice, w.bob, nil)
		w.olm(w.alice, w.carl, nil)
	}
	if replies {
		w.olm(w.bob, w.alice, nil)
		w.olm(w.alice, w.bob, nil)
	}
	w.alice.Close()
	// The store is past its mark: it opens plainly now.
	st, err := store.Open(w.fsys, "keys", store.Options{Key: testStoreKey})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// TestRollbackNeverReusesAKey restores an older copy of Alice's store
// directory. Opening it fails (STORE_ROLLED_BACK); with AllowRollback it
// opens, and what she sends next is read by Bob and Carl with no replay
// or used-key refusal: a new Megolm session, and Olm chains advanced past
// the lost commits, which the recipients skip.
func TestRollbackNeverReusesAKey(t *testing.T) {
	w := newRollbackWorld(t)
	restoreDirCopy(t, w.fsys, w.old)
	_, err := store.Open(w.fsys, "keys", store.Options{Key: testStoreKey})
	wantCode(t, err, store.StoreRolledBack)
	w.reopenRolledBack()
	w.talk(true)
}

// TestRollbackUnknownGap: with the mark damaged too, how far the ratchets
// went is unknown: the Olm sessions that would send on a stored chain are
// deleted, and new ones are made from claimed keys.
func TestRollbackUnknownGap(t *testing.T) {
	w := newRollbackWorld(t)
	restoreDirCopy(t, w.fsys, w.old)
	raw, err := hackpadfs.ReadFile(w.fsys, ".mxmark-keys")
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	if err := hackpadfs.WriteFullFile(w.fsys, ".mxmark-keys", raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(w.fsys, "keys", store.Options{Key: testStoreKey})
	wantCode(t, err, store.StoreCorrupt)
	w.reopenRolledBack()
	for _, d := range []*Device{w.bob, w.carl} {
		_, err = w.alice.EncryptToDevice(d.UserID(), d.DeviceID(), "m.dummy", []byte(`{}`))
		wantCode(t, err, NoOlmSession)
		w.srv.connect(w.alice, d)
	}
	// Not Bob's answers: he still sends on the session Alice deleted, until
	// his client sees she cannot read it and makes a new one.
	w.talk(false)
}

// TestRollbackUnseenReusesKeys is the control: the same restore with the
// mark deleted too (which the mark cannot detect; see store/mark.go)
// opens silently, and the recipients then refuse what Alice sends, which
// is how the tests above would see a reused key.
func TestRollbackUnseenReusesKeys(t *testing.T) {
	w := newRollbackWorld(t)
	restoreDirCopy(t, w.fsys, w.old)
	if err := hackpadfs.Remove(w.fsys, ".mxmark-keys"); err != nil {
		t.Fatal(err)
	}
	var err error
	w.alice, err = Open(openStore(t, w.fsys), Options{UserID: "@alice:example.org", DeviceID: "ALICE", Clock: w.c.now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.alice.Close()
	out := w.room(nil)
	if out.SessionID != w.sessionID {
		t.Fatal("the rolled-back store has no room session")
	}
	replayed := errcode.ReplayedMessage
	w.read(out, &replayed)
	for _, d := range []*Device{w.bob, w.carl} {
		enc, err := w.alice.EncryptToDevice(d.UserID(), d.DeviceID(), "m.dummy", []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.DecryptToDevice(toDeviceEvent(t, w.alice, enc)); err == nil {
			t.Fatalf("%s read a message sent with a used key", d.UserID())
		}
	}
}
