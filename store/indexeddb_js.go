//go:build js && wasm

package store

import (
	"context"
	"slices"
	"sync"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"
	"github.com/hack-pad/hackpadfs/indexeddb"
)

// OpenIndexedDB opens the store called name inside the IndexedDB database
// dbName (created if missing), through hackpadfs's IndexedDB backend. A
// host without IndexedDB is STORE_FAILURE, not a panic.
//
// The database connections are shared by every store opened in dbName
// and closed when the last of them is closed, so that a page logging out
// (Close, then indexedDB.deleteDatabase) is not blocked by them.
func OpenIndexedDB(ctx context.Context, dbName, name string, opts Options) (*Store, error) {
	fsys, err := sharedIndexedDBFS(ctx, dbName)
	if err != nil {
		return nil, err
	}
	s, err := Open(fsys, name, opts)
	if err != nil {
		releaseIndexedDBFS(fsys)
		return nil, err
	}
	s.onClose = func() { releaseIndexedDBFS(fsys) }
	return s, nil
}

// indexedDB finds the host's IndexedDB factory (a variable for tests: a
// browser's window.indexedDB cannot be removed).
var indexedDB = func() js.Value { return js.Global().Get("indexedDB") }

var opened struct {
	sync.Mutex
	fss []*idbFS
}

// sharedIndexedDBFS returns the filesystem of dbName in the host's current
// IndexedDB factory, opening it the first time. Each call takes a
// reference that releaseIndexedDBFS gives back.
func sharedIndexedDBFS(ctx context.Context, dbName string) (*idbFS, error) {
	opened.Lock()
	defer opened.Unlock()
	g := indexedDB()
	for i, f := range opened.fss {
		if f.dbName == dbName && f.factory.Equal(g) {
			if !f.gone.Load() {
				f.refs++
				return f, nil
			}
			// Deleted or upgraded elsewhere: open it afresh.
			opened.fss = slices.Delete(opened.fss, i, i+1)
			break
		}
	}
	f, err := openIndexedDBFS(ctx, dbName)
	if err == nil {
		f.refs = 1
		opened.fss = append(opened.fss, f)
	}
	return f, err
}

// releaseIndexedDBFS gives back a reference; the last one closes the
// filesystem's connections, and the next open makes new ones.
func releaseIndexedDBFS(f *idbFS) {
	opened.Lock()
	defer opened.Unlock()
	if f.refs--; f.refs > 0 {
		return
	}
	opened.fss = slices.DeleteFunc(opened.fss, func(o *idbFS) bool { return o == f })
	f.close()
}

func openIndexedDBFS(ctx context.Context, dbName string) (*idbFS, error) {
	// idb.Global panics without indexedDB and remembers the failure, so a
	// polyfill installed later would never be seen: look it up each time.
	g := indexedDB()
	if !g.Truthy() {
		return nil, fsFailure(nil, "IndexedDB is not available in this JavaScript host")
	}
	f := &idbFS{factory: g, dbName: dbName}
	factory, err := idb.WrapFactory(f.watchingFactory())
	if err != nil {
		f.close()
		return nil, fsFailure(err, "IndexedDB")
	}
	fsys, err := indexeddb.NewFS(ctx, dbName, indexeddb.Options{Factory: factory})
	if err != nil {
		f.close()
		return nil, fsFailure(err, "opening IndexedDB database %q", dbName)
	}
	f.FS = fsys
	return f, nil
}
