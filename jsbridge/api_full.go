//go:build js && wasm && !mxcrypto_core

package jsbridge

// withStateful adds the store-backed APIs. The mxcrypto_core build leaves
// them out: without the store, hackpadfs and the device package the module
// is about 400 KiB (gzip) smaller, for clients that keep their own state.
func withStateful(m map[string]any) map[string]any {
	m["_device"] = lazy(deviceAPI)
	m["_store"] = lazy(storeAPI)
	m["_machine"] = lazy(machineAPI)
	return m
}
