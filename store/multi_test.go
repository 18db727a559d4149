package store

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/hack-pad/hackpadfs"
)

// op is one step of the interleaving test; it must give the same result on
// whichever instance runs it, given the same store contents.
type op func(s *Store) error

// increment is a read-modify-write, the pattern of a ratchet advancing.
func increment(k Key) op {
	return func(s *Store) error {
		return s.Update(func(tx *Tx) error {
			v, _, err := tx.Get(k)
			if err != nil {
				return err
			}
			var n uint64
			if len(v) == 8 {
				n = binary.BigEndian.Uint64(v)
			}
			return tx.Put(k, binary.BigEndian.AppendUint64(nil, n+1))
		})
	}
}

func randomOps(rng *rand.Rand, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		i := i
		room := fmt.Sprint("!room", rng.IntN(4))
		sid := fmt.Sprint(rng.IntN(40))
		name := fmt.Sprint("v", rng.IntN(20))
		backedUp := rng.IntN(2) == 0
		switch rng.IntN(12) {
		case 0, 1:
			ops[i] = func(s *Store) error { return s.Put(ValueKey(name), []byte(fmt.Sprint(i))) }
		case 2:
			ops[i] = func(s *Store) error { return s.Delete(ValueKey(name)) }
		case 3, 4:
			ops[i] = increment(OlmSessionKey("peer", fmt.Sprint(rng.IntN(3))))
		case 5, 6:
			ops[i] = func(s *Store) error {
				return s.PutInbound(InboundSession{RoomID: room, SessionID: sid, FirstKnownIndex: uint32(i), State: []byte(fmt.Sprint(i)), BackedUp: backedUp})
			}
		case 7:
			ops[i] = func(s *Store) error {
				batch := make([]InboundSession, 25)
				for j := range batch {
					batch[j] = InboundSession{RoomID: room, SessionID: fmt.Sprint("b", i, "-", j), State: []byte{byte(j)}, BackedUp: j%2 == 0}
				}
				return s.PutInbound(batch...)
			}
		case 8, 9:
			// A backup loop: take some pending sessions, mark them.
			ops[i] = func(s *Store) error {
				return s.Update(func(tx *Tx) error {
					pending, err := tx.PendingBackup(7)
					if err != nil {
						return err
					}
					keys := make([]Key, len(pending))
					for j, p := range pending {
						keys[j] = InboundKey(p.RoomID, p.SessionID)
					}
					return tx.MarkBackedUp(tx.BackupVersion(), keys...)
				})
			}
		case 10:
			ops[i] = func(s *Store) error { return s.Delete(InboundKey(room, sid)) }
		case 11:
			if rng.IntN(4) == 0 { // a new backup version is rare, and O(all)
				v := fmt.Sprint(rng.IntN(3))
				ops[i] = func(s *Store) error { return s.SetBackupVersion(v) }
			} else {
				ops[i] = func(s *Store) error { return s.Delete(ValueKey(name)) }
			}
		}
	}
	return ops
}

// TestTwoInstancesInterleaved runs 1,000 operations alternating at random
// between two instances of one store; the result must equal the same
// operations run serially on one instance.
func TestTwoInstancesInterleaved(t *testing.T) {
	eachHeavyBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		smallJournal(t, 48)
		smallShards(t, 64)
		rng := rand.New(rand.NewPCG(3, 4))
		ops := randomOps(rng, 1000)

		ff := newFaultFS(newFS(t))
		ff.noSync = true // durability is not what this test is about
		fsys := ff
		a, b := mustOpen(t, fsys, "shared"), mustOpen(t, fsys, "shared")
		serial := mustOpen(t, newMemFS(t), "serial")
		for i, o := range ops {
			inst := a
			if rng.IntN(2) == 0 {
				inst = b
			}
			must(t, o(inst))
			must(t, o(serial))
			if i%250 == 249 {
				// A third instance appears mid-way, as a reloaded tab would.
				b.Close()
				b = mustOpen(t, fsys, "shared")
			}
		}
		want := dump(t, serial)
		for _, s := range []*Store{a, b, mustOpen(t, fsys, "shared")} {
			if got := dump(t, s); got != want {
				t.Fatalf("instances diverged from the serial run:\n%s\n----\n%s", got, want)
			}
			must(t, s.Verify())
		}
	})
}

// TestTwoInstancesConcurrent runs two instances in two goroutines at once:
// read-modify-writes of one counter must not lose an increment.
func TestTwoInstancesConcurrent(t *testing.T) {
	smallJournal(t, 10)
	fsys := newMemFS(t)
	a, b := mustOpen(t, fsys, "shared"), mustOpen(t, fsys, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if err := increment(ValueKey("counter"))(s); err != nil {
					errs <- err
					return
				}
				if err := s.Put(ValueKey(fmt.Sprint(w, "-", i)), []byte{1}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, _, err := a.Get(ValueKey("counter"))
	must(t, err)
	if n := binary.BigEndian.Uint64(v); n != 600 {
		t.Fatalf("counter is %d, want 600", n)
	}
	must(t, b.Verify())
}
