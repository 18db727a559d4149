package store

import (
	"sync"

	"github.com/hack-pad/hackpadfs"
)

// A store whose files no other process can reach (an in-memory file
// system) is only ever written by instances in this process, and each of
// them records here the generation it committed. Before an operation,
// refresh then compares a number instead of reading the other manifest
// slot: a cheap generation check. Options.InProcess turns it on; a store
// on shared files (IndexedDB, a directory) must not, since another tab or
// process commits without telling this table.
var inProcessGens struct {
	sync.Mutex
	m map[inProcessRef]uint64
}

// inProcessRef names a store: its file system (a comparable value, as a
// pointer is) and its name in it.
type inProcessRef struct {
	fsys hackpadfs.FS
	name string
}

// published records that gen was committed, once its slot is written.
func (s *Store) published(gen uint64) {
	if !s.inProcess {
		return
	}
	inProcessGens.Lock()
	defer inProcessGens.Unlock()
	if inProcessGens.m == nil {
		inProcessGens.m = map[inProcessRef]uint64{}
	}
	inProcessGens.m[inProcessRef{s.fsys, s.name}] = gen
}

// unchanged reports whether no instance has committed since cur: this
// instance's manifest is the newest. False when unknown.
func (s *Store) unchanged() bool {
	if !s.inProcess || s.cur == nil {
		return false
	}
	inProcessGens.Lock()
	defer inProcessGens.Unlock()
	gen, ok := inProcessGens.m[inProcessRef{s.fsys, s.name}]
	return ok && gen == s.cur.gen
}

// InProcess reports whether the store was opened with Options.InProcess:
// its operations never wait on I/O or on another process.
func (s *Store) InProcess() bool { return s.inProcess }
