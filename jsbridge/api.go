//go:build js && wasm

package jsbridge

import (
	"syscall/js"
)

// API builds the object the loader receives. Names starting with "_" are
// internal to the loader (it wraps them, e.g. to use WebCrypto first).
func API() js.Value {
	return object(withDebug(withStateful(map[string]any{
		"recoveryKey":   recoveryKeyAPI(),
		"passphrase":    passphraseAPI(),
		"secretStorage": secretStorageAPI(),
		"backup":        backupAPI(),
		"canonicalJSON": Async("canonicalJSON", canonicalJSON),
		"signing":       signingAPI(),
		"_megolm":       megolmAPI(),
		"_olm":          olmAPI(),
		"_directOps":    ToJS(directNames()),
	})))
}

// object builds a JS object of functions and nested objects.
func object(m map[string]any) js.Value {
	o := js.Global().Get("Object").New()
	for k, v := range m {
		switch x := v.(type) {
		case js.Func:
			o.Set(k, x.Value)
		case js.Value:
			o.Set(k, x)
		}
	}
	return o
}
