package device

import (
	"bytes"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// clock is a settable test clock shared by devices.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testStoreKey = bytes.Repeat([]byte{7}, 32)

func memFS(t testing.TB) hackpadfs.FS {
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func openStore(t testing.TB, fsys hackpadfs.FS) *store.Store {
	st, err := store.Open(fsys, "keys", store.Options{Key: testStoreKey})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newDevice(t testing.TB, user, dev string, c *clock) *Device {
	d, err := Open(openStore(t, memFS(t)), Options{UserID: user, DeviceID: dev, Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// server is a minimal homeserver for keys: upload, query, claim, /sync
// counts.
type server struct {
	t        testing.TB
	devices  map[string]map[string]any // "user|device" → device keys
	otks     map[string][]claimable
	fallback map[string]*claimable
}

type claimable struct {
	name string
	obj  any
	used bool
}

func newServer(t testing.TB) *server {
	return &server{t: t, devices: map[string]map[string]any{}, otks: map[string][]claimable{}, fallback: map[string]*claimable{}}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return m
}

// sync tells the device what /sync would, and uploads what it asks to.
// It reports whether an upload happened.
func (s *server) sync(d *Device) bool {
	s.t.Helper()
	id := d.UserID() + "|" + d.DeviceID()
	counts := map[string]int{"signed_curve25519": len(s.otks[id])}
	unused := []string{}
	if fb := s.fallback[id]; fb != nil && !fb.used {
		unused = append(unused, "signed_curve25519")
	}
	body, err := d.KeysForUpload(counts, unused)
	if err != nil {
		s.t.Fatal(err)
	}
	if body == nil {
		return false
	}
	up := unJSON(s.t, body)
	if dk, ok := up["device_keys"].(map[string]any); ok {
		s.devices[id] = dk
	}
	if otks, ok := up["one_time_keys"].(map[string]any); ok {
		names := make([]string, 0, len(otks))
		for n := range otks {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s.otks[id] = append(s.otks[id], claimable{name: n, obj: otks[n]})
		}
	}
	if fbs, ok := up["fallback_keys"].(map[string]any); ok {
		for n, o := range fbs {
			s.fallback[id] = &claimable{name: n, obj: o}
		}
	}
	resp := mustJSON(s.t, map[string]any{"one_time_key_counts": map[string]any{"signed_curve25519": len(s.otks[id])}})
	if err := d.MarkKeysUploaded(resp); err != nil {
		s.t.Fatal(err)
	}
	return true
}

func (s *server) query(users ...string) []byte {
	out := map[string]any{}
	for id, dk := range s.devices {
		var user, dev string
		for i := range id {
			if id[i] == '|' {
				user, dev = id[:i], id[i+1:]
			}
		}
		for _, u := range users {
			if u == user {
				m, _ := out[user].(map[string]any)
				if m == nil {
					m = map[string]any{}
					out[user] = m
				}
				m[dev] = dk
			}
		}
	}
	return mustJSON(s.t, map[string]any{"device_keys": out, "failures": map[string]any{}})
}

// claim hands out one key of the device: a one-time key while any is left,
// then the fallback key.
func (s *server) claim(user, dev string) []byte {
	id := user + "|" + dev
	var c claimable
	if list := s.otks[id]; len(list) > 0 {
		c, s.otks[id] = list[0], list[1:]
	} else if fb := s.fallback[id]; fb != nil {
		fb.used = true
		c = *fb
	} else {
		return mustJSON(s.t, map[string]any{"one_time_keys": map[string]any{}})
	}
	return mustJSON(s.t, map[string]any{"one_time_keys": map[string]any{user: map[string]any{dev: map[string]any{c.name: c.obj}}}})
}

// connect makes an Olm session from a to b.
func (s *server) connect(a, b *Device) SessionRef {
	s.t.Helper()
	res, err := a.CreateOutboundSessions(s.query(b.UserID()), s.claim(b.UserID(), b.DeviceID()))
	if err != nil {
		s.t.Fatal(err)
	}
	if len(res.Failures) != 0 || len(res.Sessions) != 1 {
		s.t.Fatalf("sessions %+v failures %+v", res.Sessions, res.Failures)
	}
	return res.Sessions[0]
}

// toDevice wraps content from EncryptToDevice as the event b receives.
func toDeviceEvent(t testing.TB, from *Device, content []byte) []byte {
	return mustJSON(t, map[string]any{"type": "m.room.encrypted", "sender": from.UserID(), "content": json.RawMessage(content)})
}

func wantCode(t testing.TB, err error, code errcode.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	if got := errcode.Of(err); got != code {
		t.Fatalf("want %s, got %s: %v", code, got, err)
	}
}

// encryptExportPass writes a key export file with PBKDF2 done here.
func encryptExportPass(plain []byte, pass string, iterations int) (string, error) {
	p, err := NewKeyFileParams(iterations)
	if err != nil {
		return "", err
	}
	key, err := p.derive(pass)
	if err != nil {
		return "", err
	}
	return encryptExport(plain, key, p)
}

// decryptExport reads a key export file with PBKDF2 done here.
func decryptExport(text, pass string) ([]byte, error) {
	f, err := parseKeyFile(text)
	if err != nil {
		return nil, err
	}
	key, err := f.params.derive(pass)
	if err != nil {
		return nil, err
	}
	return f.decrypt(key)
}

// aliceAndTwoBobs is Alice and two devices of Bob's, all published and with
// Olm sessions between each pair (the forwarding tests' cast).
func aliceAndTwoBobs(t *testing.T) (alice, bob, bob2 *Device) {
	t.Helper()
	c := newClock()
	srv := newServer(t)
	alice = newDevice(t, "@alice:example.org", "ALICE", c)
	bob = newDevice(t, "@bob:example.org", "BOB", c)
	bob2 = newDevice(t, "@bob:example.org", "BOB2", c)
	for _, d := range []*Device{alice, bob, bob2} {
		srv.sync(d)
	}
	srv.connect(alice, bob)
	srv.connect(alice, bob2)
	srv.connect(bob, bob2)
	return alice, bob, bob2
}

// forwardKey has from forward its copy of a room key to another device (to,
// known to the sender as toUser/toDevice) over Olm, and returns what to
// decrypted: the m.forwarded_room_key content and its source for import.
func forwardKey(t testing.TB, from, to *Device, toUser, toDevice, room, sessionID string) ([]byte, RoomKeySource) {
	t.Helper()
	fwd, err := from.ForwardRoomKey(room, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := from.EncryptToDevice(toUser, toDevice, "m.forwarded_room_key", fwd)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := to.DecryptToDevice(toDeviceEvent(t, from, enc))
	if err != nil {
		t.Fatal(err)
	}
	return ev.Content, RoomKeySource{Kind: ev.Type, SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519}
}

// lateShare has alice send n room events ({"n": i}) in room, sharing the
// key with early from index 0 and, after the n events, with late from index
// n. It returns the session id, the events' contents and the m.room_key
// content late got.
func lateShare(t *testing.T, alice, early, late *Device, room string, n int) (string, [][]byte, []byte) {
	t.Helper()
	first, err := alice.EncryptRoomEvent(room, "m.room.message", []byte(`{"n":0}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	share(t, alice, first.RoomKey, early)
	events := [][]byte{first.Content}
	for i := 1; i < n; i++ {
		out, err := alice.EncryptRoomEvent(room, "m.room.message", mustJSON(t, map[string]any{"n": i}), megolm.RotationPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, out.Content)
	}
	key, err := alice.RoomKeyContent(room)
	if err != nil {
		t.Fatal(err)
	}
	share(t, alice, key, late)
	return first.SessionID, events, key
}
