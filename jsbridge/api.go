//go:build js && wasm

package jsbridge

import (
	"sync"
	"syscall/js"
)

// API builds the object the loader receives. Names starting with "_" are
// internal to the loader (it wraps them, e.g. to use WebCrypto first).
// Namespaces are built on first use (see lazy).
func API() js.Value {
	return object(withDebug(withStateful(map[string]any{
		"recoveryKey":   lazy(recoveryKeyAPI),
		"passphrase":    lazy(passphraseAPI),
		"secretStorage": lazy(secretStorageAPI),
		"backup":        lazy(backupAPI),
		"canonicalJSON": Async("canonicalJSON", canonicalJSON),
		"signing":       lazy(signingAPI),
		"_megolm":       lazy(megolmAPI),
		"_olm":          lazy(olmAPI),
		"_directOps":    ToJS(directNames()),
		// Whether Go uses the host's primitives: read, it runs the host's
		// known-answer test if no operation has yet.
		"_native": lazy(func() js.Value { return js.ValueOf(HostInUse()) }),
	})))
}

// lazy is a property of the API object computed when it is first read: a
// namespace of functions, or a value that costs to find. Building every
// namespace at start cost ~20-60 ms in a browser's first load (a call into
// JS per function, and V8 compiling the code that builds them).
type lazy func() js.Value

// object builds a JS object of functions, nested objects and lazy
// properties.
func object(m map[string]any) js.Value {
	o := js.Global().Get("Object").New()
	for k, v := range m {
		switch x := v.(type) {
		case js.Func:
			o.Set(k, x.Value)
		case js.Value:
			o.Set(k, x)
		case lazy:
			defineLazy(o, k, x)
		}
	}
	return o
}

// defineLazy makes o[name] a getter that builds the value once, then
// replaces itself with it.
func defineLazy(o js.Value, name string, build lazy) {
	var once sync.Once
	var v js.Value
	get := js.FuncOf(func(js.Value, []js.Value) any {
		once.Do(func() {
			v = build()
			js.Global().Get("Object").Call("defineProperty", o, name, map[string]any{"value": v, "enumerable": true})
		})
		return v
	})
	js.Global().Get("Object").Call("defineProperty", o, name, map[string]any{"get": get, "configurable": true, "enumerable": true})
}
