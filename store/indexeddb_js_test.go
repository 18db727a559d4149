//go:build js && wasm

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/mxcrypto/mxcrypto/errcode"
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

func needIndexedDB(t *testing.T) {
	t.Helper()
	if !hasIndexedDB() {
		t.Skip("no IndexedDB in this JavaScript host (use fake-indexeddb or a browser)")
	}
}

var idbSeq atomic.Int64

func newIDBFS(t testing.TB) hackpadfs.FS {
	fsys, err := openIndexedDBFS(context.Background(), fmt.Sprint("mxstore-test-", idbSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestIndexedDBOpenAndReload(t *testing.T) {
	needIndexedDB(t)
	ctx := context.Background()
	db := fmt.Sprint("mxstore-reload-", idbSeq.Add(1))
	s, err := OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	must(t, s.Put(AccountKey(), []byte("account")))
	must(t, s.PutInbound(bulkSessions(3000, false)...))
	s.Close()

	// New connections, as after a page reload (OpenIndexedDB would reuse them).
	fresh, err := openIndexedDBFS(ctx, db)
	must(t, err)
	s, err = Open(fresh, "keys", Options{Key: testKey(1)})
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

// The direct reads and writes keep hackpadfs's layout: each side reads
// what the other wrote, and hackpadfs lists and removes our files.
func TestIndexedDBDirectFilesMatchHackpadfs(t *testing.T) {
	needIndexedDB(t)
	fsys, err := openIndexedDBFS(context.Background(), fmt.Sprint("mxstore-direct-", idbSeq.Add(1)))
	must(t, err)
	must(t, hackpadfs.MkdirAll(fsys, "d", 0o700))
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)

	must(t, fsys.writeWholeFile("d/ours", data))
	must(t, hackpadfs.WriteFullFile(fsys.FS, "d/theirs", data[:100], 0o600))
	if b, err := hackpadfs.ReadFile(fsys.FS, "d/ours"); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("hackpadfs reads our file: %d bytes, %v", len(b), err)
	}
	if fi, err := hackpadfs.Stat(fsys.FS, "d/ours"); err != nil || fi.Size() != int64(len(data)) || !fi.Mode().IsRegular() {
		t.Fatalf("hackpadfs stats our file: %v %v", fi, err)
	}
	if b, err := fsys.ReadFile("d/theirs"); err != nil || !bytes.Equal(b, data[:100]) {
		t.Fatalf("we read hackpadfs's file: %q, %v", b, err)
	}
	// Replacing a longer file leaves nothing of it behind.
	must(t, fsys.writeWholeFile("d/ours", data[:10]))
	if b, err := fsys.ReadFile("d/ours"); err != nil || !bytes.Equal(b, data[:10]) {
		t.Fatalf("after replacing: %q, %v", b, err)
	}
	entries, err := hackpadfs.ReadDir(fsys.FS, "d")
	must(t, err)
	if len(entries) != 2 || entries[0].Name() != "ours" || entries[1].Name() != "theirs" {
		t.Fatalf("hackpadfs lists %v", entries)
	}
	must(t, hackpadfs.Remove(fsys.FS, "d/ours"))
	if _, err := fsys.ReadFile("d/ours"); !errors.Is(err, hackpadfs.ErrNotExist) {
		t.Fatalf("reading a removed file: %v", err)
	}
	if err := fsys.writeWholeFile("nodir/x", data); !errors.Is(err, hackpadfs.ErrNotDir) {
		t.Fatalf("writing where no directory is: %v", err)
	}
	if err := fsys.writeWholeFile("d/theirs/x", data); !errors.Is(err, hackpadfs.ErrNotDir) {
		t.Fatalf("writing under a file: %v", err)
	}
	if _, err := hackpadfs.Stat(fsys.FS, "nodir/x"); !errors.Is(err, hackpadfs.ErrNotExist) {
		t.Fatalf("the refused write left %v", err)
	}

	// When the host closes our connection (another page upgrading or
	// deleting the database), the next call opens a new one.
	c, err := fsys.conn()
	must(t, err)
	c.closed.Store(true)
	c.db.Call("close")
	if b, err := fsys.ReadFile("d/theirs"); err != nil || len(b) != 100 {
		t.Fatalf("after the connection closed: %d bytes, %v", len(b), err)
	}
}

// Stores opened by name share one filesystem per database.
func TestIndexedDBSharedConnection(t *testing.T) {
	needIndexedDB(t)
	db := fmt.Sprint("mxstore-shared-", idbSeq.Add(1))
	a, err := sharedIndexedDBFS(context.Background(), db)
	must(t, err)
	b, err := sharedIndexedDBFS(context.Background(), db)
	must(t, err)
	if a != b {
		t.Fatal("a second open made a second filesystem")
	}
}

// deleteIndexedDB deletes a database, as a page logging out does, and
// waits until it is gone.
func deleteIndexedDB(t *testing.T, name string) {
	t.Helper()
	// go-indexeddb's versionchange listener logs from inside the event
	// (in the npm package under Node, a write that deadlocks the runtime):
	// it must never run (see watchingFactory), so nothing may be logged.
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer func() {
		log.SetOutput(os.Stderr)
		if logged.Len() != 0 {
			t.Errorf("logged while the database was deleted: %q", logged.String())
		}
	}()
	done := make(chan string, 1)
	req := js.Global().Get("indexedDB").Call("deleteDatabase", name)
	for ev, msg := range map[string]string{"onsuccess": "", "onerror": "failed", "onblocked": "blocked"} {
		f := js.FuncOf(func(js.Value, []js.Value) any {
			select {
			case done <- msg:
			default:
			}
			return nil
		})
		defer f.Release()
		req.Set(ev, f)
	}
	if msg := <-done; msg != "" {
		t.Fatalf("deleting database %s: %s", name, msg)
	}
}

// After the page deletes the database (logging out) while its connections
// are shared and open, a store opened again in this page works, and so
// does one opened after a reload: no empty database is left behind.
func TestIndexedDBDeletedUnderneath(t *testing.T) {
	needIndexedDB(t)
	ctx := context.Background()
	db := fmt.Sprint("mxstore-deleted-", idbSeq.Add(1))
	s, err := OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	must(t, s.Put(AccountKey(), []byte("account")))
	s.Close()

	deleteIndexedDB(t, db)
	s, err = OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	if _, found, err := s.Get(AccountKey()); err != nil || found {
		t.Fatalf("a new store in the deleted database: %v %v", found, err)
	}
	must(t, s.Put(AccountKey(), []byte("again")))
	s.Close()

	// New connections, as after a page reload.
	fresh, err := openIndexedDBFS(ctx, db)
	must(t, err)
	s, err = Open(fresh, "keys", Options{Key: testKey(1)})
	must(t, err)
	defer s.Close()
	if v, _, err := s.Get(AccountKey()); err != nil || string(v) != "again" {
		t.Fatalf("after reload: %q %v", v, err)
	}
}

// A store still open when the database is deleted fails its calls with
// STORE_FAILURE, and does not create an empty database that would break
// every later open.
func TestIndexedDBDeletedUnderOpenStore(t *testing.T) {
	needIndexedDB(t)
	ctx := context.Background()
	db := fmt.Sprint("mxstore-deleted-open-", idbSeq.Add(1))
	s, err := OpenIndexedDB(ctx, db, "keys", Options{Key: testKey(1)})
	must(t, err)
	must(t, s.Put(AccountKey(), []byte("account")))

	deleteIndexedDB(t, db)
	_, _, err = s.Get(AccountKey())
	wantCode(t, err, StoreFailure)
	s.Close()

	fresh, err := openIndexedDBFS(ctx, db)
	must(t, err)
	s, err = Open(fresh, "keys", Options{Key: testKey(1)})
	must(t, err)
	defer s.Close()
	must(t, s.Put(AccountKey(), []byte("again")))
}

// Logging out: closing the last store of a database closes every
// connection it opened, so deleting the database is not blocked (onblocked
// fails deleteIndexedDB) and nothing logs from inside a versionchange
// event; a store made afterwards works, and so does one after a reload.
func TestIndexedDBLogout(t *testing.T) {
	needIndexedDB(t)
	ctx := context.Background()
	db := fmt.Sprint("mxstore-logout-", idbSeq.Add(1))
	a, err := OpenIndexedDB(ctx, db, "alice", Options{Key: testKey(1)})
	must(t, err)
	b, err := OpenIndexedDB(ctx, db, "bob", Options{Key: testKey(2)})
	must(t, err)
	must(t, a.Put(AccountKey(), []byte("alice")))
	must(t, b.Put(AccountKey(), []byte("bob")))
	a.Close()
	must(t, b.Put(AccountKey(), []byte("bob still works")))
	b.Close()
	opened.Lock()
	for _, f := range opened.fss {
		if f.dbName == db {
			t.Error("a closed database is still shared")
		}
	}
	opened.Unlock()
	deleteIndexedDB(t, db)

	a, err = OpenIndexedDB(ctx, db, "alice", Options{Key: testKey(3)})
	must(t, err)
	if _, found, err := a.Get(AccountKey()); err != nil || found {
		t.Fatalf("after logout: %v %v", found, err)
	}
	must(t, a.Put(AccountKey(), []byte("new")))
	a.Close()
	a, err = OpenIndexedDB(ctx, db, "alice", Options{Key: testKey(3)})
	must(t, err)
	if v, _, err := a.Get(AccountKey()); err != nil || string(v) != "new" {
		t.Fatalf("reopened: %q %v", v, err)
	}
	a.Close()
	deleteIndexedDB(t, db)
}

// Records of a shape hackpadfs never writes (a BigInt mode, contents that
// are not bytes) are errors with a code, not a panic in an IndexedDB event
// (which would end the instance).
func TestIndexedDBOddRecords(t *testing.T) {
	needIndexedDB(t)
	fsys, err := openIndexedDBFS(context.Background(), fmt.Sprint("mxstore-odd-", idbSeq.Add(1)))
	must(t, err)
	defer fsys.close()
	must(t, hackpadfs.MkdirAll(fsys, "d", 0o700))
	must(t, fsys.writeWholeFile("d/f", []byte("x")))
	put := func(store, key string, v js.Value) {
		t.Helper()
		err := fsys.transact("readwrite", []any{store}, func(tx *idbTx) {
			tx.Call("objectStore", store).Call("put", v, key)
		})
		must(t, err)
	}
	bigint := js.Global().Get("BigInt")
	rec := js.Global().Get("Object").New()
	rec.Set("Mode", bigint.Invoke(0o20000000700))
	put(idbInfo, "d", rec)
	if err := fsys.writeWholeFile("d/g", []byte("y")); err == nil {
		t.Fatal("a BigInt mode was taken for a directory")
	}
	put(idbInfo, "d", bigint.Invoke(5))
	if err := fsys.writeWholeFile("d/g", []byte("y")); err == nil {
		t.Fatal("a BigInt record was taken for a directory")
	}
	for _, v := range []js.Value{bigint.Invoke(7), js.ValueOf("text"), js.Global().Get("Object").New(), js.Null()} {
		put(idbContents, "d/f", v)
		_, err := fsys.ReadFile("d/f")
		if code := errcode.Of(err); err == nil || code == errcode.Internal {
			t.Fatalf("contents %v: %v", v, err)
		}
	}
}
