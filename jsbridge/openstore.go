//go:build js && wasm && !mxcrypto_core

package jsbridge

import (
	"context"
	"strings"
	"sync"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"
	osfs "github.com/hack-pad/hackpadfs/os"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// storeSpec says which store to open and how: the options store.open and
// openDevice share, read in one place (storeSpecArg) and opened in one
// place (openStore).
type storeSpec struct {
	name    string // the store's name
	backend string // "indexeddb", "memory" or "fs"
	path    string // fs: the directory, absolute
	dbName  string // indexeddb: the database
	opts    store.Options
}

// defaultDBName is the IndexedDB database stores go in unless told otherwise.
const defaultDBName = "mxcrypto"

// storeSpecArg reads {name, backend, path, dbName, storeKey, passphrase,
// iterations, allowRollback} (argument i, normalised by store.mjs's storeOptions) and the
// lock function (argument lock, see jsLocker).
func storeSpecArg(a *Args, i, lock int) storeSpec {
	s := storeSpec{
		name:    optString(a, i, "name"),
		backend: optString(a, i, "backend"),
		path:    optString(a, i, "path"),
		dbName:  optString(a, i, "dbName"),
	}
	s.opts.Key = a.OptionBytes(i, "storeKey", 32)
	s.opts.Passphrase = optString(a, i, "passphrase")
	s.opts.Iterations = int(optUint(a, i, "iterations"))
	if s.opts.Iterations != 0 {
		// The bound every PBKDF2 count has: a new store must not hang its opener.
		if err := passphrase.CheckParams(s.opts.Iterations, passphrase.DefaultBits); err != nil {
			a.fail(errcode.BadInput, "%v", err)
		}
	}
	// After a rollback, device.Open discards the sending ratchets before
	// anything is encrypted (device/rollback.go).
	s.opts.AllowRollback = optBool(a, i, "allowRollback")
	if fn := a.Func(lock, "lock"); !fn.IsUndefined() {
		s.opts.Locker = jsLocker{fn} // tabs, workers and instances take turns, not just this instance's calls
	}
	return s
}

// memFS is the "memory" backend: one file system per instance, holding
// every memory store by name, so a store opened again in this instance
// (by store.open or openDevice) is found. It ends with the instance.
var memFS struct {
	sync.Mutex
	fs hackpadfs.FS
}

// openStore opens the store spec names; the caller's key is wiped (Open
// keeps its own copy).
func openStore(spec storeSpec) (*store.Store, error) {
	defer clear(spec.opts.Key)
	if spec.name == "" {
		return nil, errcode.New(errcode.BadInput, "the store's name is required")
	}
	switch spec.backend {
	case "indexeddb":
		db := spec.dbName
		if db == "" {
			db = defaultDBName
		}
		return store.OpenIndexedDB(context.Background(), db, spec.name, spec.opts)
	case "memory":
		memFS.Lock()
		if memFS.fs == nil {
			fsys, err := mem.NewFS()
			if err != nil {
				memFS.Unlock()
				return nil, err
			}
			memFS.fs = fsys
		}
		fsys := memFS.fs
		memFS.Unlock()
		// Only this instance reaches its memory file system: Go's own lock
		// serializes its stores (no navigator.locks request per operation),
		// and commits are announced in memory, not looked for in the files.
		spec.opts.Locker, spec.opts.InProcess = nil, true
		return store.Open(fsys, spec.name, spec.opts)
	case "fs":
		if !strings.HasPrefix(spec.path, "/") {
			return nil, errcode.New(errcode.BadInput, "path must be an absolute directory, got %q", spec.path)
		}
		var fsys hackpadfs.FS = osfs.NewFS()
		if sub := strings.Trim(spec.path, "/"); sub != "" {
			var err error
			if fsys, err = osfs.NewFS().Sub(sub); err != nil {
				return nil, errcode.Wrap(store.StoreFailure, err, "directory %q", spec.path)
			}
		}
		return store.Open(fsys, spec.name, spec.opts)
	default:
		return nil, errcode.New(errcode.BadInput, "backend must be \"indexeddb\", \"memory\" or \"fs\", not %q", spec.backend)
	}
}
