package store

import (
	"errors"
	"path"

	"github.com/hack-pad/hackpadfs"
)

const keyFile = "KEY"

// errNotExist is returned bare (not as STORE_FAILURE) so callers can tell a
// missing file from a failing filesystem.
var errNotExist = hackpadfs.ErrNotExist

func (s *Store) path(name string) string { return path.Join(s.name, name) }

func (s *Store) read(name string) ([]byte, error) {
	if b, ok := s.prefetched[name]; ok {
		delete(s.prefetched, name)
		if b == nil {
			return nil, errNotExist
		}
		return b, nil
	}
	b, err := hackpadfs.ReadFile(s.fsys, s.path(name))
	if errors.Is(err, hackpadfs.ErrNotExist) {
		return nil, errNotExist
	}
	if err != nil {
		return nil, fsFailure(err, "reading %s", name)
	}
	return b, nil
}

// write creates name with data in one Write: a hackpadfs Write stores the
// whole file (one IndexedDB transaction), so files are built in memory and
// written once. Sync makes the os backend durable before the manifest that
// publishes the file.
func (s *Store) write(name string, data []byte) error {
	return s.writeFlags(name, data, hackpadfs.FlagTruncate)
}

// writeSlot writes the manifest of generation gen into its slot, in place:
// no truncation (the slot header gives the length) and no rename, so one
// IndexedDB write transaction. The slot it overwrites holds the generation
// before the one being replaced, so a torn write loses nothing committed.
func (s *Store) writeSlot(gen uint64, data []byte) error {
	if err := s.writeFlags(slotFile(gen), data, 0); err != nil {
		return err
	}
	s.syncDir() // the slot may be new
	return nil
}

// multiReader is a backend that reads several files at the cost of one
// (IndexedDB: one transaction). Missing files are absent from the result.
type multiReader interface {
	readFiles(names []string) (map[string][]byte, error)
}

// prefetch reads the named files together when the backend can, so opening
// a store costs one IndexedDB transaction instead of three; each is then
// served once by read.
func (s *Store) prefetch(names ...string) error {
	mr, ok := s.fsys.(multiReader)
	if !ok {
		return nil
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = s.path(n)
	}
	got, err := mr.readFiles(paths)
	if err != nil {
		return fsFailure(err, "reading the store's key and manifests")
	}
	s.prefetched = map[string][]byte{}
	for i, n := range names {
		s.prefetched[n] = got[paths[i]]
	}
	return nil
}

// wholeFileWriter is a backend that creates or replaces a whole file in
// one atomic step (IndexedDB: one transaction). Such a write needs neither
// truncation nor a sync.
type wholeFileWriter interface {
	writeWholeFile(name string, data []byte) error
	// writeWholeFiles writes several files in one atomic step.
	writeWholeFiles(names []string, datas [][]byte) error
}

func (s *Store) writeFlags(name string, data []byte, flags int) error {
	if w, ok := s.fsys.(wholeFileWriter); ok {
		if err := w.writeWholeFile(s.path(name), data); err != nil {
			return fsFailure(err, "writing %s", name)
		}
		s.noSync = true // nor does a rename need one
		return nil
	}
	f, err := hackpadfs.OpenFile(s.fsys, s.path(name), hackpadfs.FlagWriteOnly|hackpadfs.FlagCreate|flags, 0o600)
	if err != nil {
		return fsFailure(err, "creating %s", name)
	}
	_, err = hackpadfs.WriteFile(f, data)
	if err == nil && !s.noSync {
		err = hackpadfs.SyncFile(f)
		if errors.Is(err, hackpadfs.ErrNotImplemented) {
			s.noSync, err = true, nil // mem and IndexedDB: nothing to sync
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fsFailure(err, "writing %s", name)
	}
	return nil
}

// replace writes data under tmp, then renames it over name: hackpadfs
// renames a file in one IndexedDB transaction, and rename(2) is atomic.
func (s *Store) replace(name, tmp string, data []byte) error {
	if err := s.write(tmp, data); err != nil {
		return err
	}
	if err := hackpadfs.Rename(s.fsys, s.path(tmp), s.path(name)); err != nil {
		return fsFailure(err, "renaming %s to %s", tmp, name)
	}
	s.syncDir()
	return nil
}

// syncDir makes a rename durable on the os backend; other backends have
// nothing to sync, and a failure here loses no committed state.
func (s *Store) syncDir() {
	if s.noSync {
		return // and opening the directory would cost an IndexedDB read
	}
	if f, err := s.fsys.Open(s.name); err == nil {
		_ = hackpadfs.SyncFile(f)
		_ = f.Close()
	}
}

// remove deletes a file no manifest needs; a failure leaves an orphan that
// the next open removes.
func (s *Store) remove(name string) { _ = hackpadfs.Remove(s.fsys, s.path(name)) }

func (s *Store) list() ([]string, error) {
	entries, err := hackpadfs.ReadDir(s.fsys, s.name)
	if err != nil {
		return nil, fsFailure(err, "listing the store directory")
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}
