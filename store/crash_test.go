package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
)

// account models what the crash tests need of an Olm account: a key-id
// counter and the one-time keys it made, published or not.
type account struct {
	next        uint32
	unpublished []uint32
	published   []uint32
}

func (a *account) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(a.next))
	for _, l := range [][]uint32{a.unpublished, a.published} {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, id := range l {
			b = binary.AppendUvarint(b, uint64(id))
		}
	}
	return b
}

func decodeAccount(b []byte) (*account, error) {
	a := &account{}
	d := newDec(b, "account")
	a.next = uint32(d.Uvarint())
	for _, l := range []*[]uint32{&a.unpublished, &a.published} {
		n := d.Count(1, "ids")
		for i := 0; i < n; i++ {
			*l = append(*l, uint32(d.Uvarint()))
		}
	}
	return a, d.finish()
}

func loadAccount(tx *Tx) (*account, error) {
	b, found, err := tx.Get(AccountKey())
	if err != nil || !found {
		return &account{}, err
	}
	return decodeAccount(b)
}

// flowResult is what a flow handed out before it stopped.
type flowResult struct {
	returned []uint32         // key ids in upload bodies returned
	fresh    []uint32         // ids made by rounds whose body was returned
	sessions []InboundSession // sessions whose PutInbound returned
	done     bool             // the flow ran to its end
}

// otkFlow is a client's publish loop: make one-time keys (and sometimes a
// fallback key), persist them, and only then return the upload body; mark
// them published once "uploaded"; store some received room keys. It stops
// at the first error, as a crashed process would.
func otkFlow(fsys hackpadfs.FS, rounds, first int, res *flowResult, onReturn func(round int, ids []uint32)) error {
	s, err := Open(fsys, "crash", Options{Key: testKey(9)})
	if err != nil {
		return err
	}
	defer s.Close()
	for round := first; round < first+rounds; round++ {
		var body, fresh []uint32
		err := s.Update(func(tx *Tx) error {
			a, err := loadAccount(tx)
			if err != nil {
				return err
			}
			fresh = nil
			for i := 0; i < 3; i++ {
				a.next++
				a.unpublished = append(a.unpublished, a.next)
				fresh = append(fresh, a.next)
			}
			// Keys not yet published go out again, under the same ids.
			body = slices.Clone(a.unpublished)
			if round%2 == 0 {
				a.next++
				body = append(body, a.next)
				fresh = append(fresh, a.next)
				if err := tx.Put(FallbackKeyKey(fmt.Sprint(a.next)), []byte("fallback")); err != nil {
					return err
				}
			}
			return tx.Put(AccountKey(), a.encode())
		})
		if err != nil {
			return err
		}
		res.returned = append(res.returned, body...)
		res.fresh = append(res.fresh, fresh...)
		if onReturn != nil {
			onReturn(round, body)
		}
		err = s.Update(func(tx *Tx) error {
			a, err := loadAccount(tx)
			if err != nil {
				return err
			}
			a.published = append(a.published, a.unpublished...)
			a.unpublished = nil
			return tx.Put(AccountKey(), a.encode())
		})
		if err != nil {
			return err
		}
		batch := roundSessions(round)
		if err := s.PutInbound(batch...); err != nil {
			return err
		}
		res.sessions = append(res.sessions, batch...)
		if onReturn != nil {
			onReturn(round, nil)
		}
	}
	res.done = true
	return nil
}

// roundSessions are the room keys a round of the flow receives.
func roundSessions(round int) []InboundSession {
	batch := make([]InboundSession, 6)
	for i := range batch {
		batch[i] = InboundSession{RoomID: fmt.Sprint("!r", i%2), SessionID: fmt.Sprint(round, "-", i), State: []byte{byte(round), byte(i)}, BackedUp: i%3 == 0}
	}
	return batch
}

// checkAfterCrash reopens the store and checks that nothing returned was
// lost, then runs one more round and checks that no key id repeats.
func checkAfterCrash(t *testing.T, fsys hackpadfs.FS, res *flowResult, what string) {
	t.Helper()
	s, err := Open(fsys, "crash", Options{Key: testKey(9)})
	if err != nil {
		t.Fatalf("%s: reopen: %v", what, err)
	}
	must(t, s.Verify())
	stored := map[uint32]bool{}
	var next uint32
	must(t, s.View(func(tx *Tx) error {
		a, err := loadAccount(tx)
		for _, id := range append(a.unpublished, a.published...) {
			stored[id] = true
		}
		next = a.next
		if err != nil {
			return err
		}
		return tx.Scan(KindFallbackKey, func(e Entry) error {
			var id uint32
			fmt.Sscan(e.Key.A, &id)
			stored[id] = true
			return nil
		})
	}))
	for _, id := range res.returned {
		if !stored[id] {
			t.Fatalf("%s: key id %d was returned but is lost", what, id)
		}
		if id > next {
			t.Fatalf("%s: key id %d was returned but the counter is at %d", what, id, next)
		}
	}
	for _, ss := range res.sessions {
		got, found, err := s.GetInbound(ss.RoomID, ss.SessionID)
		must(t, err)
		if !found || string(got.State) != string(ss.State) {
			t.Fatalf("%s: session %s was stored but is lost", what, ss.SessionID)
		}
	}
	s.Close()

	seen := map[uint32]bool{}
	for _, id := range res.returned {
		seen[id] = true
	}
	var more flowResult
	must(t, otkFlow(fsys, 1, 100, &more, nil))
	for _, id := range more.fresh {
		if seen[id] || id <= next {
			t.Fatalf("%s: key id %d was used twice", what, id)
		}
		seen[id] = true
	}
}

// TestCrashAtEveryStep stops the flow at each filesystem step in turn (the
// step not done, done but reported failed, or a write torn in half), then
// reopens the store as a restarted process would.
func TestCrashAtEveryStep(t *testing.T) {
	eachHeavyBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		smallJournal(t, 12) // so the flow flushes segments too
		modes := []faultMode{faultStop, faultAfter, faultTorn}
		if _, ok := newFS(t).(*mem.FS); !ok {
			modes = modes[:1] // the others test the store, not the backend
		}
		for _, mode := range modes {
			steps := 0
			for k := 1; ; k++ {
				ff := newFaultFS(newFS(t))
				ff.failAt, ff.mode, ff.noSync = k, mode, true
				var res flowResult
				err := otkFlow(ff, 4, 0, &res, nil)
				if ff.hitOp == "" {
					must(t, err)
					break
				}
				steps = k
				// Reopened through a wrapper that never fails, so files are
				// written as they were before the crash: on IndexedDB, one
				// step at a time through hackpadfs, not in the one atomic
				// transaction the store uses there (that never tears).
				checkAfterCrash(t, newFaultFS(ff.inner), &res, fmt.Sprintf("%s at step %d (%s)", mode, k, ff.hitOp))
			}
			t.Logf("%s: crashed at each of %d steps", mode, steps)
		}
	})
}
