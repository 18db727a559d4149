package store

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/hack-pad/hackpadfs"
)

// batchFS reads several files "at the cost of one", like the IndexedDB
// backend, and records each batch.
type batchFS struct {
	*faultFS
	mu      sync.Mutex
	batches [][]string
}

func (b *batchFS) readFiles(names []string) (map[string][]byte, error) {
	b.mu.Lock()
	b.batches = append(b.batches, append([]string(nil), names...))
	b.mu.Unlock()
	out := map[string][]byte{}
	for _, n := range names {
		data, err := hackpadfs.ReadFile(b.faultFS.inner, n)
		if err == nil {
			out[n] = data
		} else if !isNotExist(err) {
			return nil, err
		}
	}
	return out, nil
}

func isNotExist(err error) bool { return errors.Is(err, hackpadfs.ErrNotExist) }

// Opening reads KEY, both slots and the high-water mark in one batch; a lookup reads the slot it
// checks and the segment it needs in one batch, and nothing else; after
// another instance's commit the batch's slot shows it, and the lookup is
// still right.
func TestReadAhead(t *testing.T) {
	smallShards(t, 64)
	mem := newMemFS(t)
	want := bulkSessions(2000, true)
	s := mustOpen(t, mem, "s")
	must(t, s.PutInbound(want...))
	s.Close()

	bf := &batchFS{faultFS: newFaultFS(mem)}
	s = mustOpen(t, bf, "s")
	defer s.Close()
	if len(bf.batches) != 1 || len(bf.batches[0]) != 4 {
		t.Fatalf("opening read %v", bf.batches)
	}
	check := func(i int) {
		t.Helper()
		ss, found, err := s.GetInbound(want[i].RoomID, want[i].SessionID)
		if err != nil || !found || !bytes.Equal(ss.State, want[i].State) {
			t.Fatalf("session %d: %v %v", i, found, err)
		}
	}
	bf.batches = nil
	bf.reset()
	check(1234)
	if len(bf.batches) != 1 || len(bf.batches[0]) < 2 || segmentReads(bf.faultFS, 0) != 0 || bf.count("open") != 0 {
		t.Fatalf("a lookup read %v and then %v", bf.batches, bf.faultFS.reads)
	}
	// Cached now: the next lookup of it reads only the slot, alone.
	bf.batches = nil
	bf.reset()
	check(1234)
	if len(bf.batches) != 0 || bf.count("open") != 1 {
		t.Fatalf("a cached lookup read %v and %v", bf.batches, bf.faultFS.reads)
	}

	// Another instance rewrites the segment: the read-ahead file is stale,
	// the slot says so, and the lookup reads the new one.
	other := mustOpen(t, mem, "s")
	changed := want[77]
	changed.State = []byte("changed")
	must(t, other.PutInbound(changed))
	must(t, other.PutInbound(bulkSessions(3000, true)[2000:]...)) // a flush
	other.Close()
	want[77] = changed
	for _, i := range []int{77, 1999, 5} {
		check(i)
	}
}
