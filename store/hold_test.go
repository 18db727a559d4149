package store

import (
	"sync/atomic"
	"testing"

	"github.com/hack-pad/hackpadfs"
	"time"
)

// countingLocker counts lock requests, like navigator.locks requests.
type countingLocker struct{ n atomic.Int64 }

func (l *countingLocker) Lock(name string) (func(), error) {
	l.n.Add(1)
	return ProcessLocker{}.Lock(name)
}

// A Hold takes the lock once for a run of operations; another instance on
// the same store waits until it is released, then sees every write made
// under it (nothing is lost or reordered by skipping the refreshes).
func TestHoldOneLockForManyOperations(t *testing.T) {
	eachBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		fsys := newFS(t)
		lock := &countingLocker{}
		a, err := Open(fsys, "s", Options{Key: testKey(1), Locker: lock})
		must(t, err)
		defer a.Close()
		b := mustOpen(t, fsys, "s")
		defer b.Close()
		k := ValueKey("n")
		before := lock.n.Load()
		release, err := a.Hold()
		must(t, err)
		for i := 0; i < 10; i++ {
			must(t, increment(k)(a))
		}
		if got := lock.n.Load() - before; got != 1 {
			t.Fatalf("10 operations under a Hold took the lock %d times, want 1", got)
		}
		done := make(chan error, 1)
		go func() { done <- increment(k)(b) }()
		select {
		case err := <-done:
			t.Fatalf("another instance wrote while the lock was held (err %v)", err)
		case <-time.After(50 * time.Millisecond):
		}
		release()
		release() // idempotent
		must(t, <-done)
		for _, s := range []*Store{a, b} {
			must(t, s.View(func(tx *Tx) error {
				v, _, err := tx.Get(k)
				if err == nil && (len(v) != 8 || v[7] != 11) {
					t.Fatalf("counter is %x, want 11", v)
				}
				return err
			}))
		}
		// Holds nest; the lock goes with the last one.
		r1, err := a.Hold()
		must(t, err)
		r2, err := a.Hold()
		must(t, err)
		r2()
		go func() { done <- increment(k)(b) }()
		select {
		case err := <-done:
			t.Fatalf("the inner release let the lock go (err %v)", err)
		case <-time.After(50 * time.Millisecond):
		}
		r1()
		must(t, <-done)
		// Close releases a Hold left open.
		_, err = a.Hold()
		must(t, err)
		must(t, a.Close())
		must(t, increment(k)(b))
		if _, err := a.Hold(); err == nil {
			t.Fatal("Hold on a closed store worked")
		}
	})
}

// With InProcess, an operation finds another instance's commit by the
// generation it announced, not by reading the other slot; both instances
// still see each other's writes.
func TestInProcessSeesOtherInstances(t *testing.T) {
	fsys := newMemFS(t)
	open := func() *Store {
		s, err := Open(fsys, "p", Options{Key: testKey(2), InProcess: true})
		must(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	k := ValueKey("n")
	for i := 0; i < 20; i++ {
		must(t, increment(k)(a))
		must(t, increment(k)(b))
	}
	for _, s := range []*Store{a, b} {
		must(t, s.View(func(tx *Tx) error {
			v, _, err := tx.Get(k)
			if err == nil && (len(v) != 8 || v[7] != 40) {
				t.Fatalf("counter is %x, want 40", v)
			}
			return err
		}))
	}
	// The mark written in place is read back at the next open.
	must(t, a.Close())
	must(t, b.Close())
	c := open()
	must(t, c.View(func(tx *Tx) error {
		_, found, err := tx.Get(k)
		if err == nil && !found {
			t.Fatal("the counter is gone after reopening")
		}
		return err
	}))
}
