//go:build js && wasm

package jsbridge

import (
	"encoding/json"
	"strings"
	"syscall/js"
)

// RawJSON is a JSON text returned to JS as the value it encodes.
type RawJSON []byte

// ToJS converts a Go result: []byte becomes a Uint8Array, maps and slices
// become objects and arrays, RawJSON and any other type (structs) go through
// JSON.
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
	case []any:
		arr := js.Global().Get("Array").New(len(x))
		for i, e := range x {
			arr.SetIndex(i, ToJS(e))
		}
		return arr
	default:
		b, err := json.Marshal(x)
		if err != nil {
			panic("jsbridge: result not serialisable: " + err.Error())
		}
		return jsonObj.Call("parse", string(b))
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

// decodeJSON unmarshals an argument already checked to be JSON text.
func decodeJSON(data []byte, v any) error {
	return json.Unmarshal(data, v)
}
