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
// The database connections are kept for the life of the page (hackpadfs
// has no way to close its own) and shared by every store opened in dbName:
// Close releases the store, not the connections.
func OpenIndexedDB(ctx context.Context, dbName, name string, opts Options) (*Store, error) {
	fsys, err := sharedIndexedDBFS(ctx, dbName)
	if err != nil {
		return nil, err
	}
	return Open(fsys, name, opts)
}

// indexedDB finds the host's IndexedDB factory (a variable for tests: a
// browser's window.indexedDB cannot be removed).
var indexedDB = func() js.Value { return js.Global().Get("indexedDB") }

var opened struct {
	sync.Mutex
	fss []*idbFS
}

// sharedIndexedDBFS returns the filesystem of dbName in the host's current
// IndexedDB factory, opening it the first time.
func sharedIndexedDBFS(ctx context.Context, dbName string) (*idbFS, error) {
	opened.Lock()
	defer opened.Unlock()
	g := indexedDB()
	for i, f := range opened.fss {
		if f.dbName == dbName && f.factory.Equal(g) {
			if !f.gone.Load() {
				return f, nil
			}
			// Deleted or upgraded elsewhere: open it afresh.
			opened.fss = slices.Delete(opened.fss, i, i+1)
			break
		}
	}
	f, err := openIndexedDBFS(ctx, dbName)
	if err == nil {
		opened.fss = append(opened.fss, f)
	}
	return f, err
}

func openIndexedDBFS(ctx context.Context, dbName string) (*idbFS, error) {
	// idb.Global panics without indexedDB and remembers the failure, so a
	// polyfill installed later would never be seen: look it up each time.
	g := indexedDB()
	if !g.Truthy() {
		return nil, fsFailure(nil, "IndexedDB is not available in this JavaScript host")
	}
	factory, err := idb.WrapFactory(g)
	if err != nil {
		return nil, fsFailure(err, "IndexedDB")
	}
	fsys, err := indexeddb.NewFS(ctx, dbName, indexeddb.Options{Factory: factory})
	if err != nil {
		return nil, fsFailure(err, "opening IndexedDB database %q", dbName)
	}
	return &idbFS{FS: fsys, factory: g, dbName: dbName}, nil
}
