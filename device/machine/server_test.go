package machine

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/store"
)

// relay is an in-memory homeserver for the parts of the client-server API
// the machine speaks: keys upload/query/claim, to-device messages, device
// list changes and key backup. Requests and responses go through it as the
// JSON the machine produces and reads, with no HTTP.
type relay struct {
	t        testing.TB
	mu       sync.Mutex
	devices  map[string]map[string]map[string]any // user → device → device keys
	otks     map[string][]keyEntry                // "user|dev" → one-time keys in upload order
	fallback map[string]*keyEntry
	inbox    map[string][]map[string]any // "user|dev" → to-device events
	inboxLog map[string][]map[string]any // every event ever delivered
	txns     map[string]bool
	changed  map[string]map[string]bool // "user|dev" (syncing device) → users changed since its last sync
	// backup
	version string
	backup  map[string]map[string]any // room → session → entry
	// hooks for fault injection
	alterQuery func(body map[string]any)
	// cross-signing: user → usage ("master", …) → key object
	xkeys    map[string]map[string]map[string]any
	requests []string // type of every request handled, in order
}

type keyEntry struct {
	name string
	obj  any
	used bool
}

func newRelay(t testing.TB) *relay {
	return &relay{
		t: t, devices: map[string]map[string]map[string]any{}, otks: map[string][]keyEntry{}, fallback: map[string]*keyEntry{},
		inbox: map[string][]map[string]any{}, inboxLog: map[string][]map[string]any{}, txns: map[string]bool{}, changed: map[string]map[string]bool{},
		backup: map[string]map[string]any{}, xkeys: map[string]map[string]map[string]any{},
	}
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	return v
}

func toJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func matrixErr(status int, code string, extra map[string]any) Response {
	body := map[string]any{"errcode": code, "error": code}
	for k, v := range extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	return Response{Status: status, Body: b}
}

// deviceChanged tells every device that tracks changes that user changed.
func (s *relay) deviceChanged(user string) {
	for k := range s.clientsLocked() {
		if s.changed[k] == nil {
			s.changed[k] = map[string]bool{}
		}
		s.changed[k][user] = true
	}
}

func (s *relay) clientsLocked() map[string]bool {
	out := map[string]bool{}
	for u, devs := range s.devices {
		for d := range devs {
			out[u+"|"+d] = true
		}
	}
	return out
}

// removeDevice deletes a device (as logging out does).
func (s *relay) removeDevice(user, dev string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.devices[user], dev)
	s.deviceChanged(user)
}

// handle answers one request from user's device dev.
func (s *relay) handle(user, dev string, r Request) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, user+"|"+dev+" "+r.Type)
	u, err := url.Parse(r.Path)
	if err != nil {
		s.t.Fatalf("bad path %q", r.Path)
	}
	path := strings.TrimPrefix(u.EscapedPath(), clientPrefix)
	me := user + "|" + dev
	ok := func(v any) Response { return Response{Status: 200, Body: toJSON(s.t, v)} }
	switch {
	case r.Method == "POST" && path == "/keys/upload":
		b := decodeJSON(s.t, r.Body)
		if dk, found := b["device_keys"].(map[string]any); found {
			if s.devices[user] == nil {
				s.devices[user] = map[string]map[string]any{}
			}
			s.devices[user][dev] = dk
			s.deviceChanged(user)
		}
		if otks, found := b["one_time_keys"].(map[string]any); found {
			names := make([]string, 0, len(otks))
			for n := range otks {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				dup := false
				for _, e := range s.otks[me] {
					if e.name == n {
						if !jsonEqual(e.obj, otks[n]) {
							return matrixErr(400, "M_INVALID_PARAM", nil)
						}
						dup = true
					}
				}
				if !dup {
					s.otks[me] = append(s.otks[me], keyEntry{name: n, obj: otks[n]})
				}
			}
		}
		if fk, found := b["fallback_keys"].(map[string]any); found {
			for n, obj := range fk {
				s.fallback[me] = &keyEntry{name: n, obj: obj}
			}
		}
		return ok(map[string]any{"one_time_key_counts": map[string]any{"signed_curve25519": s.unclaimed(me)}})
	case r.Method == "POST" && path == "/keys/query":
		b := decodeJSON(s.t, r.Body)
		out := map[string]any{}
		for user := range b["device_keys"].(map[string]any) {
			devs := map[string]any{}
			for d, k := range s.devices[user] {
				devs[d] = k
			}
			out[user] = devs
		}
		body := map[string]any{"device_keys": out, "failures": map[string]any{}}
		for field, usage := range map[string]string{"master_keys": "master", "self_signing_keys": "self_signing", "user_signing_keys": "user_signing"} {
			m := map[string]any{}
			for u := range out {
				if k := s.xkeys[u][usage]; k != nil && (usage != "user_signing" || u == user) {
					m[u] = k
				}
			}
			body[field] = m
		}
		if s.alterQuery != nil {
			s.alterQuery(body)
		}
		return ok(body)
	case r.Method == "POST" && path == "/keys/device_signing/upload":
		b := decodeJSON(s.t, r.Body)
		s.xkeys[user] = map[string]map[string]any{}
		for field, usage := range map[string]string{"master_key": "master", "self_signing_key": "self_signing", "user_signing_key": "user_signing"} {
			if k, found := b[field].(map[string]any); found {
				s.xkeys[user][usage] = k
			}
		}
		s.deviceChanged(user)
		return ok(map[string]any{})
	case r.Method == "POST" && path == "/keys/signatures/upload":
		b := decodeJSON(s.t, r.Body)
		for target, objs := range b {
			for id, obj := range objs.(map[string]any) {
				sigs := obj.(map[string]any)["signatures"].(map[string]any)
				var into map[string]any
				if d := s.devices[target][id]; d != nil {
					into = d
				} else if mk := s.xkeys[target]["master"]; mk != nil && mk["keys"].(map[string]any)["ed25519:"+id] != nil {
					into = mk
				} else {
					continue
				}
				have, _ := into["signatures"].(map[string]any)
				if have == nil {
					have = map[string]any{}
					into["signatures"] = have
				}
				for signer, byKey := range sigs {
					hs, _ := have[signer].(map[string]any)
					if hs == nil {
						hs = map[string]any{}
						have[signer] = hs
					}
					for k, v := range byKey.(map[string]any) {
						hs[k] = v
					}
				}
			}
			s.deviceChanged(target)
		}
		return ok(map[string]any{"failures": map[string]any{}})
	case r.Method == "POST" && path == "/keys/claim":
		b := decodeJSON(s.t, r.Body)
		out := map[string]any{}
		for user, devs := range b["one_time_keys"].(map[string]any) {
			got := map[string]any{}
			for d := range devs.(map[string]any) {
				k := user + "|" + d
				taken := false
				for i := range s.otks[k] {
					if !s.otks[k][i].used {
						s.otks[k][i].used = true
						got[d] = map[string]any{s.otks[k][i].name: s.otks[k][i].obj}
						taken = true
						break
					}
				}
				if !taken && s.fallback[k] != nil {
					s.fallback[k].used = true
					got[d] = map[string]any{s.fallback[k].name: s.fallback[k].obj}
				}
			}
			if len(got) > 0 {
				out[user] = got
			}
		}
		return ok(map[string]any{"one_time_keys": out, "failures": map[string]any{}})
	case r.Method == "PUT" && strings.HasPrefix(path, "/sendToDevice/"):
		parts := strings.Split(strings.TrimPrefix(path, "/sendToDevice/"), "/")
		typ, _ := url.PathUnescape(parts[0])
		txn := me + "|" + parts[1]
		if s.txns[txn] {
			return ok(map[string]any{})
		}
		s.txns[txn] = true
		b := decodeJSON(s.t, r.Body)
		for to, devs := range b["messages"].(map[string]any) {
			for d, content := range devs.(map[string]any) {
				targets := []string{d}
				if d == "*" {
					targets = nil
					for d2 := range s.devices[to] {
						targets = append(targets, d2)
					}
				}
				for _, d2 := range targets {
					k := to + "|" + d2
					ev := map[string]any{"type": typ, "sender": user, "content": content}
					s.inbox[k] = append(s.inbox[k], ev)
					s.inboxLog[k] = append(s.inboxLog[k], ev)
				}
			}
		}
		return ok(map[string]any{})
	case r.Method == "PUT" && path == "/room_keys/keys":
		v := u.Query().Get("version")
		if v != s.version {
			return matrixErr(403, "M_WRONG_ROOM_KEYS_VERSION", map[string]any{"current_version": v})
		}
		b := decodeJSON(s.t, r.Body)
		for room, rv := range b["rooms"].(map[string]any) {
			if s.backup[room] == nil {
				s.backup[room] = map[string]any{}
			}
			for sid, e := range rv.(map[string]any)["sessions"].(map[string]any) {
				s.backup[room][sid] = e
			}
		}
		return ok(map[string]any{"count": 0, "etag": "1"})
	case r.Method == "GET" && strings.HasPrefix(path, "/room_keys/keys/"):
		parts := strings.Split(strings.TrimPrefix(path, "/room_keys/keys/"), "/")
		room, _ := url.PathUnescape(parts[0])
		sid, _ := url.PathUnescape(parts[1])
		if u.Query().Get("version") != s.version {
			return matrixErr(403, "M_WRONG_ROOM_KEYS_VERSION", nil)
		}
		e, found := s.backup[room][sid]
		if !found {
			return matrixErr(404, "M_NOT_FOUND", nil)
		}
		return ok(e)
	}
	s.t.Fatalf("relay: unexpected request %s %s", r.Method, r.Path)
	return Response{}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (s *relay) unclaimed(k string) int {
	n := 0
	for _, e := range s.otks[k] {
		if !e.used {
			n++
		}
	}
	return n
}

// syncFor builds the encryption part of a /sync response for a device and
// empties its inbox.
func (s *relay) syncFor(user, dev string) SyncChanges {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := user + "|" + dev
	var ch SyncChanges
	for _, ev := range s.inbox[k] {
		ch.ToDeviceEvents = append(ch.ToDeviceEvents, toJSON(s.t, ev))
	}
	s.inbox[k] = nil
	for u := range s.changed[k] {
		ch.Changed = append(ch.Changed, u)
	}
	slices.Sort(ch.Changed)
	delete(s.changed, k)
	ch.OneTimeKeyCounts = map[string]int{"signed_curve25519": s.unclaimed(k)}
	ch.UnusedFallbackKeyTypes = []string{}
	if f := s.fallback[k]; f != nil && !f.used {
		ch.UnusedFallbackKeyTypes = []string{"signed_curve25519"}
	}
	ch.NextBatch = "s" + time.Now().Format("150405.000000000")
	return ch
}

// --- clients ---------------------------------------------------------------

type client struct {
	t          testing.TB
	srv        *relay
	user, dev  string
	fsys       hackpadfs.FS
	m          *Machine
	clock      func() time.Time
	lastEvents []Event
}

var testStoreKey = bytes.Repeat([]byte{9}, 32)

func memFS() (hackpadfs.FS, error) { return mem.NewFS() }

func newClient(t testing.TB, srv *relay, user, dev string, clock func() time.Time) *client {
	fsys, err := memFS()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, srv: srv, user: user, dev: dev, fsys: fsys, clock: clock}
	c.open()
	t.Cleanup(func() { c.m.Close() })
	c.flush()
	return c
}

func (c *client) open() {
	st, err := store.Open(c.fsys, "keys", store.Options{Key: testStoreKey})
	if err != nil {
		c.t.Fatal(err)
	}
	d, err := device.Open(st, device.Options{UserID: c.user, DeviceID: c.dev, Clock: c.clock})
	if err != nil {
		c.t.Fatal(err)
	}
	if c.m, err = Open(d, c.clock); err != nil {
		c.t.Fatal(err)
	}
}

// restart closes the machine and opens it again on the same store.
func (c *client) restart() {
	c.m.Close()
	c.open()
}

func (c *client) send(r Request) []Event {
	c.t.Helper()
	resp := c.srv.handle(c.user, c.dev, r)
	evs, err := c.m.MarkRequestAsSent(r.ID, r.Type, resp)
	if err != nil {
		c.t.Fatalf("%s: MarkRequestAsSent(%s): %v", c.dev, r.Type, err)
	}
	return evs
}

// flush sends every outgoing request until none is left.
func (c *client) flush() []Event {
	c.t.Helper()
	var events []Event
	for i := 0; i < 20; i++ {
		reqs, err := c.m.OutgoingRequests()
		if err != nil {
			c.t.Fatalf("%s: OutgoingRequests: %v", c.dev, err)
		}
		if len(reqs) == 0 {
			return events
		}
		for _, r := range reqs {
			events = append(events, c.send(r)...)
		}
	}
	c.t.Fatalf("%s: requests never ran out", c.dev)
	return nil
}

// sync feeds the relay's pending to-device events and changes, then flushes.
func (c *client) sync() *SyncResult {
	c.t.Helper()
	res, err := c.m.ReceiveSyncChanges(c.srv.syncFor(c.user, c.dev))
	if err != nil {
		c.t.Fatalf("%s: ReceiveSyncChanges: %v", c.dev, err)
	}
	res.Events = append(res.Events, c.flush()...)
	c.lastEvents = res.Events
	return res
}

// share runs ShareRoomKey until it asks for nothing more.
func (c *client) share(room string, users []string, s ShareSettings) {
	c.t.Helper()
	for i := 0; i < 10; i++ {
		reqs, err := c.m.ShareRoomKey(room, users, s)
		if err != nil {
			c.t.Fatalf("%s: ShareRoomKey: %v", c.dev, err)
		}
		if len(reqs) == 0 {
			return
		}
		for _, r := range reqs {
			c.send(r)
		}
	}
	c.t.Fatalf("%s: ShareRoomKey never finished", c.dev)
}

var eventSeq int

// roomEvent encrypts a message and wraps it as the room event a server
// would deliver.
func (c *client) roomEvent(room, body string) []byte {
	c.t.Helper()
	content, err := c.m.EncryptRoomEvent(room, "m.room.message", toJSON(c.t, map[string]any{"msgtype": "m.text", "body": body}))
	if err != nil {
		c.t.Fatalf("%s: EncryptRoomEvent: %v", c.dev, err)
	}
	eventSeq++
	return toJSON(c.t, map[string]any{
		"type": "m.room.encrypted", "sender": c.user, "room_id": room, "event_id": "$e" + strings.Repeat("x", eventSeq%3) + time.Now().Format("150405.000000000"),
		"content": json.RawMessage(content),
	})
}

func (c *client) decrypt(room string, ev []byte) (*RoomEvent, error) {
	return c.m.DecryptRoomEvent(room, ev)
}

func bodyOf(t testing.TB, r *RoomEvent) string {
	t.Helper()
	return decodeJSON(t, r.Content)["body"].(string)
}
