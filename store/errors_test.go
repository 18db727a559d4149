package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/hack-pad/hackpadfs"
)

func TestWrongKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, newFS func(testing.TB) hackpadfs.FS) {
		fsys := newFS(t)
		s := mustOpen(t, fsys, "s")
		must(t, s.Put(AccountKey(), []byte("secret")))
		s.Close()
		_, err := Open(fsys, "s", Options{Key: testKey(2)})
		wantCode(t, err, "WRONG_KEY")
		_, err = Open(fsys, "s", Options{Passphrase: "pw"})
		wantCode(t, err, "WRONG_KEY")

		p, err := Open(fsys, "p", Options{Passphrase: "correct horse", Iterations: 1000})
		must(t, err)
		must(t, p.Put(AccountKey(), []byte("acct")))
		p.Close()
		_, err = Open(fsys, "p", Options{Passphrase: "wrong horse"})
		wantCode(t, err, "WRONG_KEY")
		_, err = Open(fsys, "p", Options{Key: testKey(1)})
		wantCode(t, err, "WRONG_KEY")
		p, err = Open(fsys, "p", Options{Passphrase: "correct horse"})
		must(t, err)
		if v, _, _ := p.Get(AccountKey()); string(v) != "acct" {
			t.Fatalf("passphrase store: %q", v)
		}
		p.Close()
	})
}

func TestClosed(t *testing.T) {
	s := mustOpen(t, newMemFS(t), "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	must(t, s.Close())
	must(t, s.Close())
	_, _, err := s.Get(ValueKey("a"))
	wantCode(t, err, Closed)
	wantCode(t, s.Put(ValueKey("a"), nil), Closed)
	wantCode(t, s.View(func(*Tx) error { return nil }), Closed)
	_, err = s.InboundCounts("")
	wantCode(t, err, Closed)
	_, err = s.PendingBackup(1)
	wantCode(t, err, Closed)
	if s.key != nil || s.cur != nil || len(s.cache.m) != 0 {
		t.Fatal("Close kept state")
	}
	processLocks.Lock()
	n := len(processLocks.m)
	processLocks.Unlock()
	if n != 0 {
		t.Fatalf("%d process locks left", n)
	}
}

// writeSlotVersion rewrites the clear version field of both manifest
// slots (the seal then fails, but versions are checked first).
func writeSlotVersion(t *testing.T, fsys hackpadfs.FS, v uint16) {
	for _, n := range slotNames {
		raw, err := hackpadfs.ReadFile(fsys, "s/"+n)
		must(t, err)
		raw[4], raw[5] = byte(v>>8), byte(v)
		must(t, hackpadfs.WriteFullFile(fsys, "s/"+n, raw, 0o600))
	}
}

func TestFormatVersions(t *testing.T) {
	fsys := newMemFS(t)
	s := mustOpen(t, fsys, "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	s.Close()

	writeSlotVersion(t, fsys, manifestVersion+1)
	_, err := Open(fsys, "s", Options{Key: testKey(1)})
	wantCode(t, err, StoreVersion)
	if !strings.Contains(err.Error(), "newer mxcrypto") {
		t.Errorf("message does not say why: %v", err)
	}
	// No earlier format was released: version 0 is not read either.
	writeSlotVersion(t, fsys, manifestVersion-1)
	_, err = Open(fsys, "s", Options{Key: testKey(1)})
	wantCode(t, err, StoreVersion)
	if !strings.Contains(err.Error(), "does not read") {
		t.Errorf("message does not say why: %v", err)
	}
	writeSlotVersion(t, fsys, manifestVersion)

	// Another instance upgrading the store under us is reported, not misread.
	s = mustOpen(t, fsys, "s")
	if v, _, err := s.Get(ValueKey("a")); err != nil || string(v) != "1" {
		t.Fatalf("value %q, %v", v, err)
	}
	writeSlotVersion(t, fsys, manifestVersion+1)
	_, _, err = s.Get(ValueKey("a"))
	wantCode(t, err, StoreVersion)
}

// TestStoreFailureRollsBack: a failing write is STORE_FAILURE with its
// cause, and the instance then reads what is on disk.
func TestStoreFailureRollsBack(t *testing.T) {
	for _, mode := range []faultMode{faultStop, faultAfter} {
		t.Run(mode.String(), func(t *testing.T) {
			smallJournal(t, 3)
			ff := newFaultFS(newMemFS(t))
			s := mustOpen(t, ff, "s")
			must(t, s.Put(ValueKey("a"), []byte("old")))
			for step := 1; ; step++ {
				ff.mu.Lock()
				ff.failAt, ff.mode, ff.dead = ff.steps+step, mode, false
				ff.mu.Unlock()
				err := s.Update(func(tx *Tx) error {
					for _, k := range []string{"a", "b", "c", "d"} {
						if err := tx.Put(ValueKey(k), []byte("new")); err != nil {
							return err
						}
					}
					return nil
				})
				ff.mu.Lock()
				hit, op := ff.dead, ff.hitOp
				ff.failAt, ff.dead = 0, false
				ff.mu.Unlock()
				if !hit {
					must(t, err)
					break
				}
				if op == "remove" {
					// Removing replaced segments happens after the commit;
					// a failure there only leaves an orphan.
					must(t, err)
					continue
				}
				wantCode(t, err, StoreFailure)
				if !errors.Is(err, errCrashed) {
					t.Fatalf("cause lost: %v", err)
				}
				// Disk has the old or (for "after" at the rename) the new value.
				v, _, err := s.Get(ValueKey("a"))
				must(t, err)
				w, _, _ := s.Get(ValueKey("d"))
				if !(string(v) == "old" && w == nil || string(v) == "new" && string(w) == "new") {
					t.Fatalf("step %d: a=%q d=%q", step, v, w)
				}
				must(t, s.Verify())
				must(t, s.Put(ValueKey("a"), []byte("old")))
				must(t, s.Delete(ValueKey("d")))
			}
		})
	}
}

func TestDamage(t *testing.T) {
	smallJournal(t, 1)
	fsys := newMemFS(t)
	s := mustOpen(t, fsys, "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	must(t, s.Put(ValueKey("b"), []byte("2")))
	top, _ := s.Generation()
	s.Close()

	// A flipped bit in the newest slot is damage, not a torn write (the
	// mark says generation 3 was committed): no silent fallback. With
	// AllowRollback it opens at the generation before, rolled back.
	newest := slotFile(top)
	raw, _ := hackpadfs.ReadFile(fsys, "s/"+newest)
	gen, _, body, _ := parseSlot(raw)
	if gen != top {
		t.Fatalf("newest slot holds generation %d", gen)
	}
	bad := append([]byte{}, raw...)
	bad[slotHeaderSize+len(body)-1] ^= 1
	must(t, hackpadfs.WriteFullFile(fsys, "s/"+newest, bad, 0o600))
	_, err := Open(fsys, "s", Options{Key: testKey(1)})
	wantCode(t, err, "STORE_CORRUPT")
	s, err = Open(fsys, "s", Options{Key: testKey(1), AllowRollback: true})
	must(t, err)
	if g, _ := s.Generation(); g != top-1 || !s.RolledBack() {
		t.Fatalf("generation %d (rolled back: %v) after the newest slot was damaged, want %d", g, s.RolledBack(), top-1)
	}
	s.Close()
	other, _ := hackpadfs.ReadFile(fsys, "s/"+slotFile(top-1))
	_, _, body, _ = parseSlot(other)
	other[slotHeaderSize+len(body)-1] ^= 1
	must(t, hackpadfs.WriteFullFile(fsys, "s/"+slotFile(top-1), other, 0o600))
	_, err = Open(fsys, "s", Options{Key: testKey(1), AllowRollback: true})
	wantCode(t, err, "STORE_CORRUPT")
	other[slotHeaderSize+len(body)-1] ^= 1
	must(t, hackpadfs.WriteFullFile(fsys, "s/"+slotFile(top-1), other, 0o600))
	must(t, hackpadfs.WriteFullFile(fsys, "s/"+newest, raw, 0o600))

	// A missing segment fails the reads that need it, not the open.
	names, _ := hackpadfs.ReadDir(fsys, "s")
	for _, n := range names {
		if strings.HasPrefix(n.Name(), "s") {
			must(t, hackpadfs.Remove(fsys, "s/"+n.Name()))
		}
	}
	s = mustOpen(t, fsys, "s")
	_, _, err = s.Get(ValueKey("a"))
	wantCode(t, err, "STORE_CORRUPT")
	s.Close()

	// MANIFEST gone while segments exist; KEY gone while MANIFEST exists.
	fsys = newMemFS(t)
	s = mustOpen(t, fsys, "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	must(t, s.Put(ValueKey("b"), []byte("2")))
	s.Close()
	must(t, hackpadfs.Remove(fsys, "s/KEY"))
	_, err = Open(fsys, "s", Options{Key: testKey(1)})
	wantCode(t, err, "STORE_CORRUPT")
	must(t, hackpadfs.Remove(fsys, "s/"+slotNames[0]))
	must(t, hackpadfs.Remove(fsys, "s/"+slotNames[1]))
	_, err = Open(fsys, "s", Options{Key: testKey(1)})
	wantCode(t, err, "STORE_CORRUPT")
}

// TestOrphans: files of crashed commits are never read and go at the first
// flush; files newer than the manifest (another instance's commit in
// progress) stay.
func TestOrphans(t *testing.T) {
	smallJournal(t, 1)
	fsys := newMemFS(t)
	s := mustOpen(t, fsys, "s")
	must(t, s.Put(ValueKey("a"), []byte("1")))
	gen, _ := s.Generation()
	s.Close()
	old := []string{segName(gen, KindValue, 0), tmpName(gen), tmpName(0)}
	young := []string{segName(gen+10, KindValue, 0), tmpName(gen + 10), "unrelated"}
	for _, n := range append(old, young...) {
		must(t, hackpadfs.WriteFullFile(fsys, "s/"+n, []byte("junk"), 0o600))
	}
	s = mustOpen(t, fsys, "s")
	if v, _, _ := s.Get(ValueKey("a")); string(v) != "1" {
		t.Fatalf("value: %q", v)
	}
	must(t, s.Put(ValueKey("b"), []byte("2")))
	must(t, s.Put(ValueKey("c"), []byte("3"))) // flushes
	for _, n := range old {
		if _, err := hackpadfs.Stat(fsys, "s/"+n); err == nil {
			t.Errorf("orphan %s kept", n)
		}
	}
	for _, n := range young {
		if _, err := hackpadfs.Stat(fsys, "s/"+n); err != nil {
			t.Errorf("%s removed", n)
		}
	}
}
