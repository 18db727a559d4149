//go:build js && wasm && !mxcrypto_debug

package jsbridge

// withDebug: only the test build has _debug (see debug.go).
func withDebug(m map[string]any) map[string]any { return m }
