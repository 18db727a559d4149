//go:build js && wasm

package jsbridge

import (
	"fmt"
	"strings"
	"syscall/js"
)

// SecretBytes is a result holding a key (a decoded recovery key, a derived
// or generated key): ToJS gives JS a Uint8Array copy and wipes Go's.
type SecretBytes []byte

// ToJS converts a Go result: []byte becomes a Uint8Array, maps and slices
// become objects and arrays, RawJSON goes through JSON.parse.
func ToJS(v any) js.Value {
	switch x := v.(type) {
	case nil:
		return js.Null()
	case js.Value:
		return x
	case []byte:
		u := uint8ArrayCtor.New(len(x))
		js.CopyBytesToJS(u, x)
		return u
	case SecretBytes:
		u := uint8ArrayCtor.New(len(x))
		js.CopyBytesToJS(u, x)
		clear(x) // JS has its copy; Go's must not linger
		return u
	case RawJSON:
		return jsonObj.Call("parse", string(x))
	case string:
		return jsString(x)
	case bool, int, int64, float64:
		return js.ValueOf(x)
	case map[string]any:
		o := js.Global().Get("Object").New()
		for k, e := range x {
			o.Set(k, ToJS(e))
		}
		return o
	case Fields:
		o := js.Global().Get("Object").New()
		for _, f := range x {
			o.Set(f.Key, ToJS(f.Value))
		}
		return o
	case []any:
		arr := js.Global().Get("Array").New(len(x))
		for i, e := range x {
			arr.SetIndex(i, ToJS(e))
		}
		return arr
	default:
		// Results are built from the cases above; anything else is a bug
		// (recovered into INTERNAL by the caller).
		panic(fmt.Sprintf("jsbridge: no conversion for a %T result", v))
	}
}

// jsString converts a Go string. wasm_exec.js decodes strings with a
// TextDecoder that drops one leading U+FEFF (byte order mark), so a string
// that starts with one gets a second one to lose.
func jsString(s string) js.Value {
	if strings.HasPrefix(s, "\uFEFF") {
		s = "\uFEFF" + s
	}
	return js.ValueOf(s)
}
