//go:build js && wasm

// Package jsbridge exposes mxcrypto to JavaScript through syscall/js.
//
// Every export is a JS function returning a Promise. Arguments are read and
// copied synchronously, while the caller's values cannot change under us;
// the work then runs on its own goroutine, which recovers any panic into a
// rejection with code INTERNAL. A panic must never reach the Go runtime: under
// js/wasm it ends the whole instance and every call in flight.
package jsbridge

import (
	"fmt"
	"sync/atomic"
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Work is the asynchronous half of an export. It must not read the call's
// js.Values (they belong to the caller by then); callbacks it was given may
// be called.
type Work func() (any, error)

// Handler reads the arguments (recording the first problem in a) and returns
// the work to run.
type Handler func(a *Args) Work

// Async turns h into a JS function for the loader, which calls it as
// fn(resolve, reject, ...args) inside `new Promise(...)`: every export is a
// Promise to the caller, and Go creates no Promise or executor callback of
// its own (each js.Value costs a finalizer; per call that was most of the
// bridge's overhead).
//
// Not inlined: inlined, every export got its own copy of the closure below
// (~2 KB of wasm each).
//
//go:noinline
func Async(name string, h Handler) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) < 2 || args[0].Type() != js.TypeFunction || args[1].Type() != js.TypeFunction {
			panic("jsbridge: " + name + " must be called by the loader as fn(resolve, reject, ...args)")
		}
		resolve, reject := args[0], args[1]
		a := &Args{fn: name, vals: args[2:]}
		work, err := prepare(name, h, a)
		if err != nil {
			a.wipe()
			reject.Invoke(toJSError(err))
			return nil
		}
		inFlight++
		spawn(func() {
			v, err := run(name, work)
			inFlight--
			a.wipe() // the result (which may be a key passed in) is a JS copy by now
			if err != nil {
				reject.Invoke(toJSError(err))
				return
			}
			resolve.Invoke(v)
		})
		return nil
	})
}

// Calls run on goroutines kept between calls: a new goroutine starts with a
// small stack, which the work then grows by copying, several times a call.
// A call never waits for a goroutine: with none idle, it gets a new one.
var (
	idleWorkers = make(chan func()) // unbuffered: a hand-off to a waiting worker
	idleCount   atomic.Int32
)

const maxIdleWorkers = 8

func spawn(job func()) {
	select {
	case idleWorkers <- job:
	default:
		go worker(job)
	}
}

func worker(job func()) {
	for {
		job()
		if idleCount.Add(1) > maxIdleWorkers {
			idleCount.Add(-1)
			return
		}
		job = <-idleWorkers
		idleCount.Add(-1)
	}
}

// inFlight counts the Async operations whose goroutine has not finished.
// While it is 0 no goroutine of ours is parked holding a lock, so a direct
// call cannot block on one (see machine_direct.go). Only goroutines touch
// it, and js/wasm runs one at a time.
var inFlight int

func prepare(name string, h Handler, a *Args) (work Work, err error) {
	defer func() {
		if r := recover(); r != nil {
			work, err = nil, recovered(name, r)
		}
	}()
	work = h(a)
	if a.err != nil {
		return nil, a.err
	}
	return work, nil
}

// run executes the work and converts its result, both under recover: a bug
// in either must become a rejected Promise, not a dead instance.
func run(name string, work Work) (v js.Value, err error) {
	defer endOperation()
	defer func() {
		if r := recover(); r != nil {
			err = recovered(name, r)
		}
	}()
	out, err := work()
	if err != nil {
		return js.Undefined(), err
	}
	return ToJS(out), nil
}

func recovered(name string, r any) error {
	if jsErr, ok := r.(js.Error); ok {
		// A JS exception thrown into Go, e.g. by a caller's getter or callback.
		return errcode.New(errcode.BadInput, "%s: JavaScript error while reading arguments or calling back: %s", name, jsErr.Error())
	}
	return errcode.New(errcode.Internal, "%s: internal error (a bug in mxcrypto, please report it): %v", name, fmt.Sprint(r))
}

// toJSError makes a JS Error with a stable code property.
func toJSError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", "MxCryptoError")
	e.Set("code", string(errcode.Of(err)))
	return e
}
