//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
)

// errJS is a rejected promise's reason.
type errJS struct{ reason js.Value }

func (e errJS) Error() string {
	if e.reason.Type() == js.TypeObject && e.reason.Get("message").Type() == js.TypeString {
		return e.reason.Get("message").String()
	}
	return "promise rejected"
}

type settled struct {
	v   js.Value
	err error
}

// Host calls that finish later (D1) are answered through one callback made
// once per instance, settle(id, ok, value), which worker.mjs attaches to the
// promise: a pair of js.Funcs per call would cost two JS functions, their
// finalizers and their release on every query.
var (
	waitMu  sync.Mutex
	waits   = map[int]chan settled{}
	lastID  int
	settleF = js.FuncOf(func(_ js.Value, args []js.Value) any {
		waitMu.Lock()
		ch := waits[args[0].Int()]
		delete(waits, args[0].Int())
		waitMu.Unlock()
		if ch != nil { // buffered: never blocks the callback
			if args[1].Bool() {
				ch <- settled{v: args[2]}
			} else {
				ch <- settled{err: errJS{args[2]}}
			}
		}
		return nil
	})
)

// hostCall calls host[method](id, args...) and blocks the calling goroutine
// until the host settles id.
func hostCall(host js.Value, method string, args ...any) (js.Value, error) {
	ch := make(chan settled, 1)
	waitMu.Lock()
	lastID++
	id := lastID
	waits[id] = ch
	waitMu.Unlock()
	defer func() {
		waitMu.Lock()
		delete(waits, id)
		waitMu.Unlock()
	}()
	host.Call(method, append([]any{id}, args...)...)
	s := <-ch
	return s.v, s.err
}

// promise runs work on a goroutine and returns a JS promise of its result.
// A panic rejects the promise instead of killing the instance.
func promise(work func() (js.Value, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		executor.Release()
		resolve, reject := args[0], args[1]
		go func() {
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(js.Global().Get("Error").New("backupproxy: panic"))
				}
			}()
			v, err := work()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}
