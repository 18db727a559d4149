//go:build js && wasm

// Command mxcrypto is the WebAssembly module loaded by the JS package (jsbridge/js/index.mjs, dist/index.mjs once built).
//
// The loader passes, as the first argument, the name of a global function to
// hand the API to; it deletes that global once called. Main then parks
// forever: the exported functions run on the JS event loop.
package main

import (
	"os"
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/jsbridge"
)

func main() {
	name := "__mxcryptoReady"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	ready := js.Global().Get(name)
	if ready.Type() != js.TypeFunction {
		println("mxcrypto: load this module through the mxcrypto JS package (dist/index.mjs) (no ready callback " + name + ")")
		os.Exit(2)
	}
	jsbridge.InstallHost(hostImports)
	ready.Invoke(jsbridge.API())
	select {}
}
