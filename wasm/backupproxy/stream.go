//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

// streamToJS gives the host a pull interface to a streamed answer:
// next() resolves to the next Uint8Array or null at the end; cancel() stops.
// The callbacks are released at the end, on error or on cancel; the host
// calls neither after that.
func streamToJS(ks *backupproxy.KeyStream) js.Value {
	obj := js.Global().Get("Object").New()
	var next, cancel js.Func
	closed := false
	release := func() {
		if !closed {
			closed = true
			next.Release()
			cancel.Release()
		}
	}
	next = js.FuncOf(func(_ js.Value, _ []js.Value) any {
		return promise(func() (js.Value, error) {
			if closed {
				return js.Null(), errStreamClosed
			}
			chunk, err := ks.Next()
			if err != nil || chunk == nil {
				release()
				if err != nil {
					return js.Null(), err
				}
				return js.Null(), nil
			}
			return bytesToJS(chunk), nil
		})
	})
	cancel = js.FuncOf(func(_ js.Value, _ []js.Value) any {
		release()
		return nil
	})
	obj.Set("next", next)
	obj.Set("cancel", cancel)
	return obj
}
