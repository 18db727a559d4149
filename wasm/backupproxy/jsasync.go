//go:build js && wasm

package main

import (
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

// await blocks the calling goroutine until p settles. Both callbacks are
// released once the one that ran has delivered its value: a JS promise calls
// at most one of them, once.
func await(p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg0(args)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: errJS{arg0(args)}}
		return nil
	})
	p.Call("then", ok, fail)
	s := <-ch
	ok.Release()
	fail.Release()
	return s.v, s.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
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
