//go:build js && wasm

package main

import "syscall/js"

// One tab at a time drives an account: two sync loops over one key store
// would fetch the same to-device events twice. mxcrypto serialises each
// store write across tabs with navigator.locks; the page adds one lock per
// session held for as long as the tab runs the client. A second tab says
// why it waits and takes over when the first one closes (the browser
// releases a closed tab's locks), so nothing either tab wrote is lost.

// tabLock calls waiting() if another tab holds the lock, then blocks until
// this tab holds it. The returned func releases it.
func tabLock(name string, waiting func()) func() {
	locks := js.Global().Get("navigator").Get("locks")
	if !isSet(locks) {
		return func() {}
	}
	got := make(chan struct{}, 1)
	taken := make(chan struct{}, 1)
	var release js.Value
	var held js.Func
	held = js.FuncOf(func(_ js.Value, a []js.Value) any {
		if arg(a, 0).IsNull() { // ifAvailable found it taken
			taken <- struct{}{}
			return nil
		}
		// Hold the lock until release() resolves this promise.
		var hold js.Func
		hold = js.FuncOf(func(_ js.Value, r []js.Value) any {
			release = r[0]
			got <- struct{}{}
			hold.Release()
			return nil
		})
		return js.Global().Get("Promise").New(hold)
	})
	// The request's own promise settles only when the lock is released, so
	// the callback reports which way it went.
	locks.Call("request", name, map[string]any{"ifAvailable": true}, held)
	select {
	case <-got:
	case <-taken:
		waiting()
		locks.Call("request", name, held)
		<-got
	}
	return func() {
		if isSet(release) {
			release.Invoke()
		}
	}
}
