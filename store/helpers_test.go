package store

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	osfs "github.com/hack-pad/hackpadfs/os"
	"github.com/mxcrypto/mxcrypto/errcode"
)

type backend struct {
	name string
	new  func(t testing.TB) hackpadfs.FS
}

// backends are the filesystems every suite runs on.
var backends = []backend{
	{"mem", newMemFS},
	{"os", newOSFS},
}

func newMemFS(t testing.TB) hackpadfs.FS {
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func newOSFS(t testing.TB) hackpadfs.FS { return mustOSFS(t, t.TempDir()) }

func mustOSFS(t testing.TB, dir string) hackpadfs.FS {
	fsys, err := osfs.NewFS().Sub(strings.TrimPrefix(dir, "/"))
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func eachBackend(t *testing.T, fn func(t *testing.T, newFS func(testing.TB) hackpadfs.FS)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.new) })
	}
}

// eachHeavyBackend is eachBackend for the long suites. Under js/wasm the os
// backend is Node's fs reached one call at a time through syscall/js (about
// 15 ms a commit), so there they run on mem only; the short suites still
// cover os under wasm.
func eachHeavyBackend(t *testing.T, fn func(t *testing.T, newFS func(testing.TB) hackpadfs.FS)) {
	for _, b := range backends {
		if runtime.GOOS == "js" && b.name == "os" {
			continue
		}
		t.Run(b.name, func(t *testing.T) { fn(t, b.new) })
	}
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustOpen(t testing.TB, fsys hackpadfs.FS, name string) *Store {
	t.Helper()
	s, err := Open(fsys, name, Options{Key: testKey(1)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t testing.TB, err error, code errcode.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := errcode.Of(err); got != code {
		t.Fatalf("got %s (%v), want %s", got, err, code)
	}
}

// smallJournal makes the journal spill into segments after a few writes,
// so tests exercise flushes and splits without big data.
func smallJournal(t testing.TB, entries int) {
	b, e := journalMaxBytes, journalMaxEntries
	journalMaxEntries, journalMaxBytes = entries, 1<<30
	t.Cleanup(func() { journalMaxBytes, journalMaxEntries = b, e })
}

// smallShards lowers the records per segment so kinds split early.
func smallShards(t testing.TB, target int) {
	old := kinds
	for k := range kinds {
		if kinds[k].target > 1 {
			kinds[k].target = target
		}
	}
	t.Cleanup(func() { kinds = old })
}

var errCrashed = errors.New("faultFS: crashed")

type faultMode int

const (
	faultStop  faultMode = iota // the step does not happen
	faultAfter                  // the step happens, then the caller sees an error
	faultTorn                   // a write stores half its data
)

func (m faultMode) String() string { return [...]string{"stop", "after", "torn"}[m] }

// faultFS wraps a filesystem, counts its mutating steps (create, write,
// rename, remove, mkdir) and reads, and can "crash" at step failAt: that
// step fails as mode says and every later call fails, like a dead process.
type faultFS struct {
	inner hackpadfs.FS

	mu     sync.Mutex
	steps  int
	failAt int
	mode   faultMode
	dead   bool
	hitOp  string                       // the op that crashed
	noSync bool                         // hide Sync: for tests of process crashes, not power loss
	onStep func(n int, op, name string) // called before each step
	counts map[string]int               // steps and reads by op
	reads  []string                     // names read, in order
}

func newFaultFS(inner hackpadfs.FS) *faultFS {
	return &faultFS{inner: inner, counts: map[string]int{}}
}

func (f *faultFS) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = map[string]int{}
	f.reads = nil
}

func (f *faultFS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

func (f *faultFS) alive() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return errCrashed
	}
	return nil
}

// step runs a mutating op. do gets whether to do only half (a torn write).
func (f *faultFS) step(op, name string, do func(half bool) error) error {
	f.mu.Lock()
	if f.dead {
		f.mu.Unlock()
		return errCrashed
	}
	f.steps++
	f.counts[op]++
	n, hit := f.steps, f.failAt != 0 && f.steps == f.failAt
	if hit {
		f.dead, f.hitOp = true, op
	}
	hook := f.onStep
	f.mu.Unlock()
	if hook != nil {
		hook(n, op, name)
	}
	if !hit {
		return do(false)
	}
	switch {
	case f.mode == faultAfter:
		_ = do(false)
	case f.mode == faultTorn && op == "write":
		_ = do(true)
	}
	return fmt.Errorf("%s %s: %w", op, name, errCrashed)
}

func (f *faultFS) Open(name string) (hackpadfs.File, error) {
	if err := f.alive(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.counts["open"]++
	f.reads = append(f.reads, path.Base(name))
	f.mu.Unlock()
	file, err := f.inner.Open(name)
	if err == nil && f.noSync {
		file = plainFile{file}
	}
	return file, err
}

// plainFile has only the methods of hackpadfs.File: no Sync.
type plainFile struct{ hackpadfs.File }

func (f *faultFS) OpenFile(name string, flag int, perm hackpadfs.FileMode) (hackpadfs.File, error) {
	if flag&hackpadfs.FlagCreate == 0 {
		return f.Open(name)
	}
	var file hackpadfs.File
	err := f.step("create", name, func(bool) (err error) {
		file, err = hackpadfs.OpenFile(f.inner, name, flag, perm)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Mkdir(name string, perm hackpadfs.FileMode) error {
	return f.step("mkdir", name, func(bool) error { return hackpadfs.Mkdir(f.inner, name, perm) })
}

func (f *faultFS) MkdirAll(name string, perm hackpadfs.FileMode) error {
	if info, err := hackpadfs.Stat(f.inner, name); err == nil && info.IsDir() {
		return f.alive()
	}
	return f.step("mkdir", name, func(bool) error { return hackpadfs.MkdirAll(f.inner, name, perm) })
}

func (f *faultFS) Remove(name string) error {
	return f.step("remove", name, func(bool) error { return hackpadfs.Remove(f.inner, name) })
}

func (f *faultFS) Rename(oldname, newname string) error {
	return f.step("rename", newname, func(bool) error { return hackpadfs.Rename(f.inner, oldname, newname) })
}

func (f *faultFS) Stat(name string) (hackpadfs.FileInfo, error) {
	if err := f.alive(); err != nil {
		return nil, err
	}
	return hackpadfs.Stat(f.inner, name)
}

func (f *faultFS) ReadDir(name string) ([]hackpadfs.DirEntry, error) {
	if err := f.alive(); err != nil {
		return nil, err
	}
	return hackpadfs.ReadDir(f.inner, name)
}

type faultFile struct {
	hackpadfs.File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	n := 0
	err := f.fs.step("write", f.name, func(half bool) (err error) {
		if half {
			p = p[:len(p)/2]
		}
		n, err = hackpadfs.WriteFile(f.File, p)
		return err
	})
	return n, err
}

func (f *faultFile) Sync() error {
	if err := f.fs.alive(); err != nil {
		return err
	}
	if f.fs.noSync {
		return hackpadfs.ErrNotImplemented
	}
	return hackpadfs.SyncFile(f.File)
}

// dump returns every record of every public kind, plus the inbound
// sessions' backup flags and the backup version, as one comparable text.
func dump(t testing.TB, s *Store) string {
	t.Helper()
	var lines []string
	err := s.View(func(tx *Tx) error {
		lines = append(lines, "backup version "+tx.BackupVersion())
		for k := Kind(1); k < numKinds; k++ {
			if k == KindInbound || k == kindPending {
				continue
			}
			err := tx.Scan(k, func(e Entry) error {
				lines = append(lines, fmt.Sprintf("%d %q %q %x", k, e.Key.A, e.Key.B, e.Value))
				return nil
			})
			if err != nil {
				return err
			}
		}
		err := tx.ScanInbound(func(ss InboundSession) error {
			lines = append(lines, fmt.Sprintf("inbound %q %q %x index=%d backedUp=%v", ss.RoomID, ss.SessionID, ss.State, ss.FirstKnownIndex, ss.BackedUp))
			return nil
		})
		if err != nil {
			return err
		}
		c := tx.InboundCounts(tx.BackupVersion())
		lines = append(lines, fmt.Sprintf("counts %d %d", c.Total, c.BackedUp))
		return nil
	})
	must(t, err)
	sortStrings(lines[1:])
	return strings.Join(lines, "\n")
}

func sortStrings(s []string) { slices.Sort(s) }
