//go:build js && wasm

package store

import (
	"context"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"
	"github.com/hack-pad/hackpadfs/indexeddb"
)

// OpenIndexedDB opens the store called name inside the IndexedDB database
// dbName (created if missing), through hackpadfs's IndexedDB backend. A
// host without IndexedDB is STORE_FAILURE, not a panic.
//
// hackpadfs keeps the database connection for the life of the page: Close
// releases the store, not the connection.
func OpenIndexedDB(ctx context.Context, dbName, name string, opts Options) (*Store, error) {
	fsys, err := openIndexedDBFS(ctx, dbName)
	if err != nil {
		return nil, err
	}
	return Open(fsys, name, opts)
}

// indexedDB finds the host's IndexedDB factory (a variable for tests: a
// browser's window.indexedDB cannot be removed).
var indexedDB = func() js.Value { return js.Global().Get("indexedDB") }

func openIndexedDBFS(ctx context.Context, dbName string) (*indexeddb.FS, error) {
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
	return fsys, nil
}
