//go:build js && wasm

package store

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/hack-pad/hackpadfs"
)

// With an IndexedDB in the host (fake-indexeddb in Node, or a browser), the
// backend suites run over it too. Plain Node has none.
func init() {
	if js.Global().Get("document").Truthy() {
		// In a browser (wasmbrowsertest), "os" would be the tool's proxy to
		// the host's files: slow, and not what the browser run is about.
		backends = slices.DeleteFunc(backends, func(b backend) bool { return b.name == "os" })
	}
	if hasIndexedDB() {
		backends = append(backends, backend{"indexeddb", newIDBFS})
	}
}

func hasIndexedDB() bool { return js.Global().Get("indexedDB").Truthy() }

var idbSeq atomic.Int64

func newIDBFS(t testing.TB) hackpadfs.FS {
	fsys, err := openIndexedDBFS(context.Background(), fmt.Sprint("mxstore-test-", idbSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestIndexedDBOpenAndReload(t *testing.T) {
	if !hasIndexedDB() {
		t.Skip("no IndexedDB in this JavaScript host (use fake-indexeddb or a browser)")
	}
	ctx := context.Background()
	db := fmt.Sprint("mxstore-reload-", idbSeq.Add(1))
	s, err := OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	must(t, s.Put(AccountKey(), []byte("account")))
	must(t, s.PutInbound(bulkSessions(3000, false)...))
	s.Close()

	// A new connection, as after a page reload.
	s, err = OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	defer s.Close()
	if v, _, err := s.Get(AccountKey()); err != nil || string(v) != "account" {
		t.Fatalf("account after reload: %q %v", v, err)
	}
	if c, _ := s.InboundCounts(""); c.Total != 3000 {
		t.Fatalf("counts after reload: %+v", c)
	}
	_, err = OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(2)})
	wantCode(t, err, "WRONG_KEY")
}

// TestIndexedDBMissing runs in every JS host: it hides indexedDB.
func TestIndexedDBMissing(t *testing.T) {
	saved := indexedDB
	indexedDB = js.Undefined
	defer func() { indexedDB = saved }()
	_, err := OpenIndexedDB(context.Background(), "mxstore-missing", "keys", Options{Key: testKey(1)})
	wantCode(t, err, StoreFailure)
}
