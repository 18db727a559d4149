//go:build js && wasm && mxcrypto_core

package jsbridge

// withStateful: the core build has no store-backed APIs (see api_full.go).
func withStateful(m map[string]any) map[string]any { return m }
