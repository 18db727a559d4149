//go:build js && wasm && !mxcrypto_core

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
	"sync"
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// storeAPI backs jsbridge/js/store.mjs. Open stores live in Go between calls,
// named by a handle of the one handle table (handles.go): one from before a
// restart of the instance names nothing, and store.mjs then reopens.
func storeAPI() js.Value {
	return object(map[string]any{
		"open":             Async("store.open", storeOpen),
		"close":            storeCall("Store.close", storeClose),
		"get":              storeCall("Store.get", storeGet),
		"put":              storeCall("Store.put", storePut),
		"delete":           storeCall("Store.delete", storeDelete),
		"write":            storeCall("Store.write", storeWrite),
		"list":             storeCall("Store.list", storeList),
		"putInbound":       storeCall("Store.putInbound", storePutInbound),
		"getInbound":       storeCall("Store.getInbound", storeGetInbound),
		"counts":           storeCall("Store.counts", storeCounts),
		"pendingBackup":    storeCall("Store.pendingBackup", storePending),
		"markBackedUp":     storeCall("Store.markBackedUp", storeMarkBackedUp),
		"setBackupVersion": storeCall("Store.setBackupVersion", storeSetBackupVersion),
		"generation":       storeCall("Store.generation", storeGeneration),
	})
}

// storeCall reads the handle (argument 0) and hands the store to h.
//
// Not inlined: inlined, each call site got its own copy of the closures
// (about 1 KB of wasm each).
//
//go:noinline
func storeCall(name string, h func(s *store.Store, a *Args) Work) js.Func {
	return Async(name, func(a *Args) Work {
		id := a.Int(0, "store handle")
		if a.err != nil {
			return nil
		}
		s, ok := lookup[*store.Store](id)
		if !ok {
			a.fail(noHandle, "this store is not open in this instance")
			return nil
		}
		a.vals = a.vals[1:]
		return h(s, a)
	})
}

func storeClose(s *store.Store, a *Args) Work {
	return func() (any, error) {
		handles.Lock()
		for h, o := range handles.m {
			if o == any(s) {
				delete(handles.m, h)
			}
		}
		handles.Unlock()
		return nil, s.Close()
	}
}

// storeOpen(options, lock): options as store.mjs's storeOptions made them;
// lock is a function (name, onGranted(release), onFailed(error)), e.g. over
// navigator.locks.
func storeOpen(a *Args) Work {
	spec := storeSpecArg(a, 0, 1)
	return func() (any, error) {
		s, err := openStore(spec)
		if err == nil && s.RolledBack() {
			// The records are the caller's: it repairs what it keeps in
			// them (index.d.ts); the store moves past its mark.
			if err = s.Recover(func(*store.Tx) error { return nil }); err != nil {
				s.Close()
			}
		}
		if err != nil {
			return nil, errcode.Context(err, "store.open")
		}
		return register(s), nil
	}
}

// jsLocker takes a lock through a JS function. Lock runs on a store call's
// goroutine, so waiting for the callback lets the event loop run meanwhile.
type jsLocker struct{ fn js.Value }

func (l jsLocker) Lock(name string) (func(), error) {
	type result struct {
		release js.Value
		err     error
	}
	ch := make(chan result, 1)
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{release: args[0]}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "lock request failed"
		if len(args) > 0 && args[0].Type() == js.TypeObject {
			msg = args[0].Get("message").String()
		}
		ch <- result{err: errcode.New(store.StoreFailure, "%s", msg)}
		return nil
	})
	l.fn.Invoke(name, onOK, onErr)
	r := <-ch
	onOK.Release()
	onErr.Release()
	if r.err != nil {
		return nil, r.err
	}
	var once sync.Once
	return func() { once.Do(func() { r.release.Invoke() }) }, nil
}

// Record kinds by their JS names.
var storeKinds = map[string]store.Kind{
	"account":     store.KindAccount,
	"olmSession":  store.KindOlmSession,
	"outbound":    store.KindOutbound,
	"fallbackKey": store.KindFallbackKey,
	"backup":      store.KindBackup,
	"secret":      store.KindSecret,
	"value":       store.KindValue,
}

func kindArg(a *Args, i int) store.Kind {
	name := a.String(i, "kind")
	k, ok := storeKinds[name]
	if !ok && a.err == nil {
		a.fail(errcode.BadInput, "unknown record kind %q (inbound sessions go through putInbound)", name)
	}
	return k
}

// keyArg reads (kind, ids): ids is an array of up to two strings.
func keyArg(a *Args, i int) store.Key {
	k := store.Key{Kind: kindArg(a, i)}
	ids := a.StringList(i+1, "ids")
	if len(ids) > 2 {
		a.fail(errcode.BadInput, "a key has at most two ids, got %d", len(ids))
	}
	if len(ids) > 0 {
		k.A = ids[0]
	}
	if len(ids) > 1 {
		k.B = ids[1]
	}
	return k
}

func storeGet(s *store.Store, a *Args) Work {
	k := keyArg(a, 0)
	return func() (any, error) {
		v, found, err := s.Get(k)
		if err != nil || !found {
			return nil, err
		}
		return v, nil
	}
}

func storePut(s *store.Store, a *Args) Work {
	k := keyArg(a, 0)
	v := a.Bytes(2, "value", -1)
	return func() (any, error) { return nil, s.Put(k, v) }
}

func storeDelete(s *store.Store, a *Args) Work {
	k := keyArg(a, 0)
	return func() (any, error) { return nil, s.Delete(k) }
}

// storeWrite commits several puts and deletes at once: [{ kind, ids,
// value }] with value null for a delete.
func storeWrite(s *store.Store, a *Args) Work {
	type op struct {
		k     store.Key
		value []byte // nil: delete
	}
	list := a.get(0)
	if list.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", list).Bool() {
		a.fail(errcode.BadInput, "writes must be an array")
		return nil
	}
	ops := make([]op, list.Length())
	for i := range ops {
		e := list.Index(i)
		if e.Type() != js.TypeObject {
			a.fail(errcode.BadInput, "write %d must be an object", i)
			return nil
		}
		one := &Args{fn: a.fn, vals: []js.Value{e.Get("kind"), e.Get("ids"), e.Get("value")}}
		ops[i].k = keyArg(one, 0)
		if one.Present(2) {
			ops[i].value = one.Bytes(2, "value", -1)
			if ops[i].value == nil {
				ops[i].value = []byte{}
			}
		}
		if one.err != nil {
			a.err = one.err
			return nil
		}
	}
	return func() (any, error) {
		return nil, s.Update(func(tx *store.Tx) error {
			for _, o := range ops {
				var err error
				if o.value == nil {
					err = tx.Delete(o.k)
				} else {
					err = tx.Put(o.k, o.value)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func storeList(s *store.Store, a *Args) Work {
	k := kindArg(a, 0)
	first := a.OptString(1, "firstId", "")
	return func() (any, error) {
		entries, err := s.List(k, first)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(entries))
		for i, e := range entries {
			ids := []any{}
			if e.Key.A != "" {
				ids = append(ids, e.Key.A)
			}
			if e.Key.B != "" {
				ids = append(ids, e.Key.B)
			}
			out[i] = map[string]any{"ids": ids, "value": e.Value}
		}
		return out, nil
	}
}

// storePutInbound takes the sessions packed by store.mjs into one buffer,
// so 100,000 sessions cross the bridge in one copy (bridgewire's packed
// inbound sessions, docs/bridge-formats.md §5).
func storePutInbound(s *store.Store, a *Args) Work {
	buf := a.Bytes(0, "sessions", -1)
	n := a.Int(1, "count")
	return func() (any, error) {
		packed, err := bridgewire.ReadPackedInbound(buf, n)
		if err != nil {
			return nil, err
		}
		sessions := make([]store.InboundSession, len(packed))
		for i, p := range packed {
			sessions[i] = store.InboundSession(p)
		}
		return nil, s.PutInbound(sessions...)
	}
}

func storedInboundJS(ss store.InboundSession) map[string]any {
	return map[string]any{
		"roomId": ss.RoomID, "sessionId": ss.SessionID, "firstKnownIndex": int(ss.FirstKnownIndex),
		"state": ss.State, "backedUp": ss.BackedUp,
	}
}

func storeGetInbound(s *store.Store, a *Args) Work {
	room := a.String(0, "roomId")
	sid := a.String(1, "sessionId")
	return func() (any, error) {
		ss, found, err := s.GetInbound(room, sid)
		if err != nil || !found {
			return nil, err
		}
		return storedInboundJS(ss), nil
	}
}

func storeCounts(s *store.Store, a *Args) Work {
	version := a.OptString(0, "backupVersion", "")
	return func() (any, error) {
		var c store.InboundCounts
		var active string
		err := s.View(func(tx *store.Tx) error {
			active = tx.BackupVersion()
			v := version
			if v == "" {
				v = active
			}
			c = tx.InboundCounts(v)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"total": float64(c.Total), "backedUp": float64(c.BackedUp), "backupVersion": active}, nil
	}
}

func storePending(s *store.Store, a *Args) Work {
	limit := a.Int(0, "limit")
	if limit < 0 {
		a.fail(errcode.BadInput, "limit must not be negative")
	}
	return func() (any, error) {
		pending, err := s.PendingBackup(limit)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(pending))
		for i, ss := range pending {
			out[i] = storedInboundJS(ss)
		}
		return out, nil
	}
}

func storeMarkBackedUp(s *store.Store, a *Args) Work {
	version := a.String(0, "backupVersion")
	flat := a.StringList(1, "sessions")
	if len(flat)%2 != 0 {
		a.fail(errcode.BadInput, "sessions must be [roomId, sessionId] pairs")
	}
	return func() (any, error) {
		keys := make([]store.Key, 0, len(flat)/2)
		for i := 0; i+1 < len(flat); i += 2 {
			keys = append(keys, store.InboundKey(flat[i], flat[i+1]))
		}
		return nil, s.MarkBackedUp(version, keys...)
	}
}

func storeSetBackupVersion(s *store.Store, a *Args) Work {
	version := a.String(0, "backupVersion")
	return func() (any, error) { return nil, s.SetBackupVersion(version) }
}

func storeGeneration(s *store.Store, a *Args) Work {
	return func() (any, error) {
		g, err := s.Generation()
		return float64(g), err
	}
}
