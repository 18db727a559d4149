//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

// streamBody is a ReadableStream of a long answer, one page per pull, so a
// GET of 100,000 keys never sits whole in memory. Its callbacks are released
// at the end, on error or on cancel, and host.finish() tells worker.mjs the
// instance is free again; the stream calls neither after that.
func streamBody(ks *backupproxy.KeyStream, host js.Value) js.Value {
	var pull, cancel js.Func
	finished := false
	finish := func() {
		if !finished {
			finished = true
			pull.Release()
			cancel.Release()
			host.Call("finish")
		}
	}
	pull = js.FuncOf(func(_ js.Value, args []js.Value) any {
		controller := args[0]
		return promise(func() (js.Value, error) {
			// A panic rejects this pull (promise recovers it); the instance
			// must still be handed back.
			defer func() {
				if p := recover(); p != nil {
					finish()
					panic(p)
				}
			}()
			if finished {
				return js.Undefined(), nil
			}
			chunk, err := ks.Next()
			switch {
			case err != nil:
				finish()
				return js.Undefined(), err // rejecting pull errors the stream
			case chunk == nil:
				controller.Call("close")
				finish()
			default:
				controller.Call("enqueue", bytesToJS(chunk))
			}
			return js.Undefined(), nil
		})
	})
	cancel = js.FuncOf(func(_ js.Value, _ []js.Value) any {
		finish()
		return nil
	})
	source := js.Global().Get("Object").New()
	source.Set("pull", pull)
	source.Set("cancel", cancel)
	strategy := js.Global().Get("Object").New()
	strategy.Set("highWaterMark", 0)
	return js.Global().Get("ReadableStream").New(source, strategy)
}
