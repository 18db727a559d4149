package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
)

func bulkSessions(n int, backedUp bool) []InboundSession {
	out := make([]InboundSession, n)
	for i := range out {
		state := bytes.Repeat([]byte{byte(i)}, 160) // about a Megolm session's size
		binary.BigEndian.PutUint32(state, uint32(i))
		out[i] = InboundSession{
			RoomID:          fmt.Sprintf("!room%04d:example.org", i%500),
			SessionID:       fmt.Sprintf("%043d", i),
			FirstKnownIndex: uint32(i % 7),
			State:           state,
			BackedUp:        backedUp,
		}
	}
	return out
}

// segmentReads counts the segment files of kind k (0: any) read since the
// last reset.
func segmentReads(f *faultFS, k Kind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, name := range f.reads {
		if _, kk, _, ok := parseSegName(name); ok && (k == 0 || kk == k) {
			n++
		}
	}
	return n
}

// TestBulk100k: a backup restore of 100,000 sessions is about a thousand
// file writes; after reopening, counts cost no segment read, one lookup reads
// one segment, and one new session rewrites only a manifest slot.
func TestBulk100k(t *testing.T) {
	const n = 100_000
	ff := newFaultFS(newMemFS(t))
	s := mustOpen(t, ff, "big")
	must(t, s.SetBackupVersion("1"))
	sessions := bulkSessions(n, true)

	ff.reset()
	start := time.Now()
	must(t, s.PutInbound(sessions...))
	t.Logf("bulk put of %d sessions: %v, %d creates, %d writes, %d renames",
		n, time.Since(start), ff.count("create"), ff.count("write"), ff.count("rename"))
	// 1,024 inbound segments (128 sessions each: below 64 KiB, which
	// Chromium's IndexedDB would store as a blob) and the manifest slot.
	if w := ff.count("write"); w > 1030 {
		t.Errorf("%d file writes for one bulk put", w)
	}
	s.Close()

	ff.reset()
	start = time.Now()
	s = mustOpen(t, ff, "big")
	c, err := s.InboundCounts("1")
	must(t, err)
	t.Logf("reopen and count: %v", time.Since(start))
	if c.Total != n || c.BackedUp != n {
		t.Fatalf("counts %+v", c)
	}
	if r := segmentReads(ff, 0); r != 0 {
		t.Fatalf("counting read %d segments", r)
	}

	start = time.Now()
	ss, found, err := s.GetInbound(sessions[12345].RoomID, sessions[12345].SessionID)
	must(t, err)
	t.Logf("one lookup: %v", time.Since(start))
	if !found || !bytes.Equal(ss.State, sessions[12345].State) || ss.FirstKnownIndex != sessions[12345].FirstKnownIndex || !ss.BackedUp {
		t.Fatalf("lookup: %+v", ss)
	}
	if r := segmentReads(ff, 0); r != 1 {
		t.Fatalf("one lookup read %d segments", r)
	}

	ff.reset()
	start = time.Now()
	must(t, s.PutInbound(InboundSession{RoomID: "!new:example.org", SessionID: "new", State: []byte("fresh")}))
	t.Logf("one new session: %v", time.Since(start))
	// The slot written in place, then the high-water mark replaced (a
	// write and a rename: a torn mark would look damaged), and one slot
	// read: the other slot, to see that no other instance wrote.
	slotReads := 0
	for _, n := range ff.reads {
		if strings.HasPrefix(n, "MANIFEST") {
			slotReads++
		}
	}
	if ff.count("write") != 2 || ff.count("rename") != 1 || slotReads != 1 {
		t.Fatalf("one new session: %v, read %v", ff.counts, ff.reads)
	}
	c, _ = s.InboundCounts("1")
	if c.Total != n+1 || c.BackedUp != n {
		t.Fatalf("counts after one more: %+v", c)
	}
	pending, err := s.PendingBackup(10)
	must(t, err)
	if len(pending) != 1 || pending[0].SessionID != "new" {
		t.Fatalf("pending: %+v", pending)
	}
}

// TestPendingBackupIsIndexed: after a key import of unbacked-up sessions,
// a backup loop drains the pending set batch by batch, reading the pending
// index rather than the sessions, and each batch rewrites few segments.
func TestPendingBackupIsIndexed(t *testing.T) {
	const n = 10_000
	ff := newFaultFS(newMemFS(t))
	s := mustOpen(t, ff, "p")
	must(t, s.SetBackupVersion("v1"))
	sessions := bulkSessions(n, false)
	must(t, s.PutInbound(sessions[:n/2]...))
	for i := range sessions[n/2:] {
		sessions[n/2+i].BackedUp = true
	}
	must(t, s.PutInbound(sessions[n/2:]...))
	c, _ := s.InboundCounts("v1")
	if c.Total != n || c.BackedUp != n/2 {
		t.Fatalf("counts %+v", c)
	}
	if c, _ := s.InboundCounts("v0"); c.BackedUp != 0 {
		t.Fatalf("another version counts %+v", c)
	}

	seen := map[string]bool{}
	maxWrites := 0
	for batch := 0; ; batch++ {
		s.Close()
		ff.reset()
		s = mustOpen(t, ff, "p")
		pending, err := s.PendingBackup(500)
		must(t, err)
		if len(pending) == 0 {
			break
		}
		// The pending index is one segment here, plus the sessions' own.
		if r := segmentReads(ff, kindPending); r > 1 {
			t.Fatalf("batch %d read %d pending-index segments", batch, r)
		}
		keys := make([]Key, len(pending))
		for i, p := range pending {
			if p.BackedUp || seen[p.SessionID] || !strings.HasPrefix(p.RoomID, "!room") {
				t.Fatalf("batch %d: bad pending session %+v", batch, p)
			}
			seen[p.SessionID] = true
			keys[i] = InboundKey(p.RoomID, p.SessionID)
		}
		ff.reset()
		must(t, s.MarkBackedUp("v1", keys...))
		maxWrites = max(maxWrites, ff.count("write"))
	}
	if len(seen) != n/2 {
		t.Fatalf("drained %d sessions, want %d", len(seen), n/2)
	}
	if maxWrites > 4 {
		t.Errorf("marking a batch wrote %d files", maxWrites)
	}
	if c, _ := s.InboundCounts("v1"); c.BackedUp != n {
		t.Fatalf("counts after draining %+v", c)
	}
	// A marking for a replaced backup changes nothing; a new version makes
	// everything pending again.
	must(t, s.SetBackupVersion("v2"))
	must(t, s.MarkBackedUp("v1", InboundKey(sessions[0].RoomID, sessions[0].SessionID)))
	if c, _ := s.InboundCounts("v2"); c.Total != n || c.BackedUp != 0 {
		t.Fatalf("counts after a new version %+v", c)
	}
	must(t, s.Verify())
}
