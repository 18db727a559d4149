//go:build js && wasm

package store

import (
	"errors"
	"fmt"
	"math"
	"path"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/indexeddb"
)

// idbFS is hackpadfs's IndexedDB filesystem with whole-file reads and
// writes done directly, in hackpadfs's own layout (object store "contents":
// path → Uint8Array; "info": path → {ModTime, Mode, Size, Parent}), so
// hackpadfs still lists, removes and renames the same files.
//
// Through hackpadfs a read costs two IndexedDB transactions and a write
// three or four; here each is one. In Chromium that is 0.7 ms instead of
// 3.6 ms for a read and 1.4 ms instead of 9–16 ms for a write, which is
// most of a lookup's or a small commit's time.
type idbFS struct {
	*indexeddb.FS
	factory js.Value
	dbName  string

	mu sync.Mutex
	c  *idbConn // our own connection; hackpadfs does not share its own
	// wmu guards theirs and funcs; it is taken in JS event handlers, so it
	// is never held while waiting (mu is, in conn).
	wmu    sync.Mutex
	theirs []js.Value // hackpadfs's connections, seen by watchingFactory
	funcs  []js.Func  // the handlers set on them, released by close
	refs   int        // stores open on it; guarded by opened's lock

	// gone: another connection deleted or upgraded the database. hackpadfs
	// closed its own connection then and never opens another, so stores
	// opened from now on need a new idbFS.
	gone atomic.Bool
}

const (
	idbContents = "contents"
	idbInfo     = "info"
)

var _ interface {
	hackpadfs.ReadFileFS
	multiReader
	wholeFileWriter
} = (*idbFS)(nil)

// ReadFile reads a file in one read-only transaction.
func (f *idbFS) ReadFile(name string) ([]byte, error) {
	got, err := f.readFiles([]string{name})
	if err != nil {
		return nil, err
	}
	data, ok := got[name]
	if !ok {
		return nil, &hackpadfs.PathError{Op: "readfile", Path: name, Err: hackpadfs.ErrNotExist}
	}
	return data, nil
}

// readFiles reads files in one read-only transaction; missing ones are
// absent from the result.
func (f *idbFS) readFiles(names []string) (map[string][]byte, error) {
	for _, name := range names {
		if !hackpadfs.ValidPath(name) {
			return nil, &hackpadfs.PathError{Op: "readfile", Path: name, Err: hackpadfs.ErrInvalid}
		}
	}
	got := make(map[string][]byte, len(names))
	var bad error
	err := f.transact("readonly", []any{idbContents}, func(t *idbTx) {
		contents := t.Call("objectStore", idbContents)
		left := len(names)
		for _, name := range names {
			req := contents.Call("get", name)
			t.on(req, "onsuccess", func() {
				v := req.Get("result")
				switch {
				case v.IsUndefined():
				case !v.InstanceOf(js.Global().Get("Uint8Array")):
					bad = damaged("%s: stored contents are not a Uint8Array", name)
				default:
					data := make([]byte, v.Length())
					js.CopyBytesToGo(data, v)
					got[name] = data
				}
				if left--; left == 0 {
					t.finish(nil) // the data is here: no need to wait for the transaction's end
				}
			})
		}
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, err
	}
	return got, nil
}

// writeWholeFile creates or replaces one file; see writeWholeFiles.
func (f *idbFS) writeWholeFile(name string, data []byte) error {
	return f.writeWholeFiles([]string{name}, [][]byte{data})
}

// writeWholeFiles creates or replaces files in one read-write transaction,
// which IndexedDB commits atomically: all are written or none. Like
// hackpadfs, it refuses to write where a parent directory is missing.
func (f *idbFS) writeWholeFiles(names []string, datas [][]byte) error {
	parents := map[string]bool{}
	for _, name := range names {
		if !hackpadfs.ValidPath(name) || name == "." {
			return &hackpadfs.PathError{Op: "writefile", Path: name, Err: hackpadfs.ErrInvalid}
		}
		if p := path.Dir(name); p != "." {
			parents[p] = true
		}
	}
	noParent := ""
	err := f.transact("readwrite", []any{idbContents, idbInfo}, func(t *idbTx) {
		infos := t.Call("objectStore", idbInfo)
		for parent := range parents {
			req := infos.Call("get", parent)
			t.on(req, "onsuccess", func() {
				if !isDirInfo(req.Get("result")) {
					noParent = parent
					t.Call("abort")
				}
			})
		}
		for i, name := range names {
			buf := js.Global().Get("Uint8Array").New(len(datas[i]))
			js.CopyBytesToJS(buf, datas[i])
			t.Call("objectStore", idbContents).Call("put", buf, name)
			infos.Call("put", map[string]any{
				"ModTime": float64(time.Now().UnixNano()),
				"Mode":    0o600, // a regular file, as hackpadfs stores it
				"Size":    len(datas[i]),
				"Parent":  path.Dir(name),
			}, name)
		}
	})
	if noParent != "" {
		return &hackpadfs.PathError{Op: "writefile", Path: noParent, Err: hackpadfs.ErrNotDir}
	}
	return err
}

// isDirInfo reports whether v, an "info" record or a bare mode as older
// hackpadfs versions stored it, is a directory's. The record comes from
// storage, so nothing about its shape is assumed: Value.Type and
// Value.Float panic on a BigInt, so numbers are recognised by
// Number.isFinite, which never converts its argument.
func isDirInfo(v js.Value) bool {
	if v.InstanceOf(js.Global().Get("Object")) && !v.InstanceOf(js.Global().Get("Number")) {
		v = v.Get("Mode")
	}
	if !js.Global().Get("Number").Call("isInteger", v).Bool() {
		return false
	}
	m := v.Float()
	return m >= 0 && m <= math.MaxUint32 && hackpadfs.FileMode(uint32(m)).IsDir()
}

// idbTx is a transaction and the event handlers set for it. They are unset
// and released when transact returns: a read returns before its
// transaction's complete event, and a request's handler may never run.
type idbTx struct {
	js.Value
	set  []jsHandler
	done chan error
}

type jsHandler struct {
	target js.Value
	event  string
	fn     js.Func
}

// on sets target's event handler. It runs in a JavaScript event, where a
// panic would end the instance (nothing above it recovers), so a panic
// (a value of a shape no check foresaw, a host that throws) ends the
// transaction's wait with an error instead. fn must not block.
func (t *idbTx) on(target js.Value, event string, fn func()) {
	jf := js.FuncOf(func(js.Value, []js.Value) any {
		defer func() {
			if r := recover(); r != nil {
				t.finish(damaged("IndexedDB %s handler: %v", event, r))
				func() {
					defer func() { _ = recover() }()
					t.Call("abort")
				}()
			}
		}()
		fn()
		return nil
	})
	target.Set(event, jf)
	t.set = append(t.set, jsHandler{target, event, jf})
}

// finish ends the wait; the first call wins.
func (t *idbTx) finish(err error) {
	select {
	case t.done <- err:
	default:
	}
}

func (t *idbTx) release() {
	for _, h := range t.set {
		h.target.Set(h.event, js.Null())
		h.fn.Release()
	}
	t.set = nil
}

// transact runs fill in a new transaction on our connection and waits for
// the transaction to complete, or for fill's requests to call finish.
// Anything the host throws becomes an error.
func (f *idbFS) transact(mode string, stores []any, fill func(t *idbTx)) (err error) {
	t := &idbTx{done: make(chan error, 1)}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("IndexedDB: %v", r)
		}
		t.release()
	}()
	c, err := f.conn()
	if err != nil {
		return err
	}
	t.Value = c.db.Call("transaction", stores, mode)
	t.on(t.Value, "oncomplete", func() { t.finish(nil) })
	t.on(t.Value, "onabort", func() { t.finish(domError(t.Get("error"))) })
	fill(t)
	return <-t.done
}

// idbConn is one connection to the database.
type idbConn struct {
	db       js.Value
	closed   atomic.Bool
	onChange js.Func
}

// watchingFactory is the host's IndexedDB factory as hackpadfs (through
// go-indexeddb) sees it: its open records each connection, so close can
// close hackpadfs's connections too (hackpadfs has no way to), and puts a
// versionchange listener on it ahead of go-indexeddb's. That listener
// closes the connection and stops the event there: go-indexeddb's own
// logs from inside the event, and where stderr is asynchronous (the npm
// package's loader in Node) that write waits for an event loop the event
// is holding up, and the Go runtime deadlocks.
func (f *idbFS) watchingFactory() js.Value {
	g := f.factory
	w := js.Global().Get("Object").New()
	open := js.FuncOf(func(_ js.Value, args []js.Value) (req any) {
		defer func() {
			if recover() != nil {
				req = nil // go-indexeddb then fails the open with an error
			}
		}()
		in := make([]any, len(args))
		for i, a := range args {
			in[i] = a
		}
		r := g.Call("open", in...)
		onSuccess := js.FuncOf(func(js.Value, []js.Value) any {
			defer func() { _ = recover() }()
			f.watch(r.Get("result"))
			return nil
		})
		f.keep(onSuccess)
		r.Call("addEventListener", "success", onSuccess)
		return r
	})
	f.keep(open)
	w.Set("open", open)
	for _, m := range []string{"deleteDatabase", "cmp", "databases"} {
		if fn := g.Get(m); fn.Type() == js.TypeFunction {
			w.Set(m, fn.Call("bind", g))
		}
	}
	return w
}

func (f *idbFS) keep(fn js.Func) {
	f.wmu.Lock()
	f.funcs = append(f.funcs, fn)
	f.wmu.Unlock()
}

// watch records one of hackpadfs's connections.
func (f *idbFS) watch(db js.Value) {
	onChange := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() { _ = recover() }()
		if len(args) > 0 {
			args[0].Call("stopImmediatePropagation")
		}
		f.gone.Store(true)
		db.Call("close")
		return nil
	})
	f.wmu.Lock()
	f.theirs = append(f.theirs, db)
	f.funcs = append(f.funcs, onChange)
	f.wmu.Unlock()
	db.Call("addEventListener", "versionchange", onChange)
}

// drain waits until every transaction begun on the database so far has
// ended (a read returns when its data is in, before its transaction
// completes, and a connection closed with transactions running still
// blocks deleteDatabase until they end): an empty read-write transaction
// over both object stores starts only after every earlier one overlapping
// it, on any connection, has finished. It waits at most timeout.
func (f *idbFS) drain(timeout time.Duration) {
	f.mu.Lock()
	open := f.c != nil && !f.c.closed.Load() && !f.gone.Load()
	f.mu.Unlock()
	if !open {
		return
	}
	done := make(chan error, 1)
	go func() { done <- f.transact("readwrite", []any{idbContents, idbInfo}, func(*idbTx) {}) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// close closes every connection of the filesystem, ours and hackpadfs's,
// and releases their handlers (a closed connection gets no more events).
// Stores opened later need a new idbFS.
func (f *idbFS) close() {
	f.drain(5 * time.Second)
	f.gone.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	call := func(v js.Value, method string, args ...any) {
		defer func() { _ = recover() }()
		v.Call(method, args...)
	}
	if c := f.c; c != nil && !c.closed.Swap(true) {
		c.db.Set("onversionchange", js.Null())
		c.db.Set("onclose", js.Null())
		call(c.db, "close")
		c.onChange.Release()
	}
	f.c = nil
	f.wmu.Lock()
	defer f.wmu.Unlock()
	for _, db := range f.theirs {
		call(db, "close")
	}
	f.theirs = nil
	for _, fn := range f.funcs {
		fn.Release()
	}
	f.funcs = nil
}

// conn returns our connection, opening it on first use or after the host
// closed it (another page asked to delete or upgrade the database).
func (f *idbFS) conn() (*idbConn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c != nil && !f.c.closed.Load() {
		return f.c, nil
	}
	t := &idbTx{done: make(chan error, 1)}
	defer t.release()
	req := f.factory.Call("open", f.dbName)
	t.on(req, "onsuccess", func() { t.finish(nil) })
	t.on(req, "onerror", func() { t.finish(domError(req.Get("error"))) })
	// The database was deleted: do not create it again without its object
	// stores, which would break every later open (hackpadfs would find it
	// at its version and not create them). The open fails instead.
	t.on(req, "onupgradeneeded", func() {
		if tr := req.Get("transaction"); tr.Truthy() {
			tr.Call("abort")
		}
	})
	if err := <-t.done; err != nil {
		return nil, err
	}
	c := &idbConn{db: req.Get("result")}
	c.onChange = js.FuncOf(func(js.Value, []js.Value) any {
		defer func() { _ = recover() }() // a host that throws here must not end the instance
		// Called once (both events are unset first, and close skips a
		// closed connection): the connection is never used again.
		if c.closed.Swap(true) {
			return nil
		}
		c.db.Set("onversionchange", js.Null())
		c.db.Set("onclose", js.Null())
		f.gone.Store(true)
		c.db.Call("close")
		c.onChange.Release()
		return nil
	})
	// versionchange: another page deletes or upgrades the database; close:
	// the browser closed the connection itself (storage cleared, say).
	c.db.Set("onversionchange", c.onChange)
	c.db.Set("onclose", c.onChange)
	f.c = c
	return c, nil
}

// domError turns a DOMException (QuotaExceededError, AbortError, ...) into
// an error that keeps its name.
func domError(v js.Value) (err error) {
	defer func() {
		if recover() != nil {
			err = errors.New("IndexedDB transaction aborted")
		}
	}()
	if !v.InstanceOf(js.Global().Get("Object")) {
		return errors.New("IndexedDB transaction aborted")
	}
	str := js.Global().Get("String")
	return fmt.Errorf("IndexedDB %s: %s", str.Invoke(v.Get("name")).String(), str.Invoke(v.Get("message")).String())
}
