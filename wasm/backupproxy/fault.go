//go:build js && wasm

package main

import (
	"net/http"
	"os"

	"github.com/syumai/workers/cloudflare"
)

// testFault lets the worker suite break one request on purpose, only when
// the Worker runs with TEST_FAULTS=1 (never set in wrangler.jsonc): header
// X-Mxcrypto-Test-Fault "panic" panics in the handler, "exit" ends the Go
// instance mid-request. worker.mjs must answer 500 M_UNKNOWN for that
// request alone and serve the next ones.
func testFault(r *http.Request) {
	fault := r.Header.Get("X-Mxcrypto-Test-Fault")
	if fault == "" || cloudflare.Getenv("TEST_FAULTS") != "1" {
		return
	}
	switch fault {
	case "panic":
		panic("test fault")
	case "exit":
		os.Exit(3)
	}
}
