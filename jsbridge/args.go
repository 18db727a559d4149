//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Args reads a call's arguments. The first problem is kept and the rest of
// the reads return zero values, so a handler reads everything and checks once.
//
// The values read here are plain copies the loader made (jsbridge/js/guard.mjs):
// plain objects and arrays, fresh Uint8Arrays, guarded callbacks. That
// is what makes these reads safe: syscall/js's Get, Index, Length,
// InstanceOf and CopyBytesToGo do not catch JS exceptions, so a Proxy trap
// or a getter that threw inside one would end the whole instance. Calls
// that throw (Call, Invoke, New) are caught by wasm_exec.js and recovered
// into BAD_INPUT (see recovered in async.go).
type Args struct {
	fn      string
	vals    []js.Value
	err     error
	secrets [][]byte // copies of secret arguments, wiped when the call ends
}

var (
	uint8ArrayCtor = js.Global().Get("Uint8Array")
	jsonObj        = js.Global().Get("JSON")
)

func (a *Args) fail(code errcode.Code, format string, args ...any) {
	if a.err == nil {
		e := errcode.New(code, format, args...)
		e.Message = a.fn + ": " + e.Message
		a.err = e
	}
}

func (a *Args) get(i int) js.Value {
	if i < len(a.vals) {
		return a.vals[i]
	}
	return js.Undefined()
}

// Present reports whether argument i was given and is not undefined or null.
func (a *Args) Present(i int) bool {
	v := a.get(i)
	return !v.IsUndefined() && !v.IsNull()
}

// Bytes copies a Uint8Array argument. size < 0 accepts any length.
func (a *Args) Bytes(i int, name string, size int) []byte {
	if a.err != nil {
		return nil
	}
	v := a.get(i)
	if v.Type() != js.TypeObject || !v.InstanceOf(uint8ArrayCtor) {
		a.fail(errcode.BadInput, "%s must be a Uint8Array, got %s", name, describe(v))
		return nil
	}
	n := v.Length()
	if size >= 0 && n != size {
		a.fail(errcode.BadInput, "%s must be %d bytes, got %d", name, size, n)
		return nil
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b
}

// Secret copies a Uint8Array argument holding a key: like Bytes, and the
// copy is wiped when the call ends (Async does it, after the result was
// converted), so a key passed in does not linger in Go's memory.
func (a *Args) Secret(i int, name string, size int) []byte {
	b := a.Bytes(i, name, size)
	if b != nil {
		a.secrets = append(a.secrets, b)
	}
	return b
}

// wipe clears the call's secret arguments.
func (a *Args) wipe() {
	for _, b := range a.secrets {
		clear(b)
	}
	a.secrets = nil
}

// String reads a string argument.
func (a *Args) String(i int, name string) string {
	if a.err != nil {
		return ""
	}
	v := a.get(i)
	if v.Type() != js.TypeString {
		a.fail(errcode.BadInput, "%s must be a string, got %s", name, describe(v))
		return ""
	}
	return v.String()
}

// OptString reads a string argument that may be absent.
func (a *Args) OptString(i int, name, def string) string {
	if !a.Present(i) {
		return def
	}
	return a.String(i, name)
}

// Int reads an integer argument.
func (a *Args) Int(i int, name string) int {
	if a.err != nil {
		return 0
	}
	v := a.get(i)
	if v.Type() != js.TypeNumber || !js.Global().Get("Number").Call("isSafeInteger", v).Bool() {
		a.fail(errcode.BadInput, "%s must be an integer, got %s", name, describe(v))
		return 0
	}
	return v.Int()
}

// OptInt reads an integer argument that may be absent.
func (a *Args) OptInt(i int, name string, def int) int {
	if !a.Present(i) {
		return def
	}
	return a.Int(i, name)
}

// JSON serialises an object argument with JSON.stringify, for the Go side to
// decode into typed structs.
func (a *Args) JSON(i int, name string) []byte {
	if a.err != nil {
		return nil
	}
	v := a.get(i)
	if v.Type() != js.TypeObject || v.InstanceOf(uint8ArrayCtor) {
		a.fail(errcode.BadInput, "%s must be a plain object, got %s", name, describe(v))
		return nil
	}
	return a.serialise(v, name)
}

// Any serialises any JSON-compatible argument.
func (a *Args) Any(i int, name string) []byte {
	if a.err != nil {
		return nil
	}
	v := a.get(i)
	if v.IsUndefined() || v.Type() == js.TypeFunction || v.Type() == js.TypeSymbol {
		a.fail(errcode.BadInput, "%s must be a JSON value, got %s", name, describe(v))
		return nil
	}
	return a.serialise(v, name)
}

func (a *Args) serialise(v js.Value, name string) []byte {
	s, err := stringify(v)
	if err != nil {
		a.fail(errcode.BadInput, "%s cannot be serialised as JSON: %v", name, err)
		return nil
	}
	return []byte(s)
}

// Func reads an optional callback.
func (a *Args) Func(i int, name string) js.Value {
	v := a.get(i)
	if v.IsUndefined() || v.IsNull() {
		return js.Undefined()
	}
	if v.Type() != js.TypeFunction {
		a.fail(errcode.BadInput, "%s must be a function, got %s", name, describe(v))
		return js.Undefined()
	}
	return v
}

// Option reads a property of an options-object argument (undefined if the
// argument or the property is absent).
func (a *Args) Option(i int, prop string) js.Value {
	v := a.get(i)
	if v.Type() != js.TypeObject {
		return js.Undefined()
	}
	return v.Get(prop)
}

// OptionBytes reads a Uint8Array property of an options-object argument
// (nil if absent or null). size < 0 accepts any length.
func (a *Args) OptionBytes(i int, prop string, size int) []byte {
	v := a.Option(i, prop)
	if a.err != nil || v.IsUndefined() || v.IsNull() {
		return nil
	}
	one := &Args{fn: a.fn, vals: []js.Value{v}}
	b := one.Bytes(0, prop, size)
	if one.err != nil {
		a.err = one.err
	}
	return b
}

// stringify calls JSON.stringify, turning a thrown exception (cycles,
// BigInt) into an error.
func stringify(v js.Value) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			if jsErr, ok := r.(js.Error); ok {
				err = jsErr
				return
			}
			panic(r)
		}
	}()
	out := jsonObj.Call("stringify", v)
	if out.Type() != js.TypeString {
		return "", errcode.New(errcode.BadInput, "not serialisable")
	}
	return out.String(), nil
}

func describe(v js.Value) string {
	switch v.Type() {
	case js.TypeObject:
		if v.InstanceOf(uint8ArrayCtor) {
			return "a Uint8Array"
		}
		if js.Global().Get("Array").Call("isArray", v).Bool() {
			return "an array"
		}
		return "an object"
	case js.TypeString:
		return "a string"
	case js.TypeNumber:
		return "a number"
	default:
		return v.Type().String()
	}
}

// StringList reads an array of strings.
func (a *Args) StringList(i int, name string) []string {
	if a.err != nil {
		return nil
	}
	v := a.get(i)
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		a.fail(errcode.BadInput, "%s must be an array of strings, got %s", name, describe(v))
		return nil
	}
	out := make([]string, v.Length())
	for j := range out {
		e := v.Index(j)
		if e.Type() != js.TypeString {
			a.fail(errcode.BadInput, "%s must be an array of strings", name)
			return nil
		}
		out[j] = e.String()
	}
	return out
}

// JSONList reads an array of plain objects, each serialised as JSON.
func (a *Args) JSONList(i int, name string) [][]byte {
	if a.err != nil {
		return nil
	}
	v := a.get(i)
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		a.fail(errcode.BadInput, "%s must be an array of objects, got %s", name, describe(v))
		return nil
	}
	out := make([][]byte, v.Length())
	for j := range out {
		e := v.Index(j)
		if e.Type() != js.TypeObject || e.InstanceOf(uint8ArrayCtor) {
			a.fail(errcode.BadInput, "%s[%d] must be a plain object, got %s", name, j, describe(e))
			return nil
		}
		if out[j] = a.serialise(e, name); a.err != nil {
			return nil
		}
	}
	return out
}
