//go:build js && wasm

package main

import (
	"errors"
	"strconv"
	"syscall/js"
)

// The page talks to mxcrypto only through its JS API. These helpers turn
// its Promises into blocking Go calls (run them on a goroutine, never inside
// a js.FuncOf callback: the callback would wait for itself) and its
// rejections into Go errors that keep the stable `code`.

// mxError is a rejection from mxcrypto (or any JS error) with its code.
type mxError struct {
	Code    string
	Message string
	// Withheld is the sender's code for WITHHELD (m.unverified, m.no_olm, …).
	Withheld string
}

func (e *mxError) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

func jsErr(v js.Value) error {
	if v.Type() != js.TypeObject {
		return &mxError{Message: v.String()}
	}
	e := &mxError{Message: str(v.Get("message"))}
	e.Code = str(v.Get("code"))
	e.Withheld = str(v.Get("withheldCode"))
	return e
}

// codeOf is the mxcrypto error code of err ("" if none).
func codeOf(err error) string {
	var e *mxError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// await blocks until p settles.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: arg(a, 0)}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: jsErr(arg(a, 0))}
		return nil
	})
	js.Global().Get("Promise").Call("resolve", p).Call("then", then, catch)
	r := <-ch
	then.Release()
	catch.Release()
	return r.v, r.err
}

// call invokes a method that returns a Promise and waits for it.
func call(obj js.Value, method string, args ...any) (js.Value, error) {
	return await(obj.Call(method, args...))
}

func arg(a []js.Value, i int) js.Value {
	if i < len(a) {
		return a[i]
	}
	return js.Undefined()
}

// str reads a JS string ("" for anything else).
func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func num(v js.Value) float64 {
	if v.Type() == js.TypeNumber {
		return v.Float()
	}
	return 0
}

func isSet(v js.Value) bool { return !v.IsNull() && !v.IsUndefined() }

// list copies a JS array (or anything iterable) into a slice.
func list(v js.Value) []js.Value {
	if !isSet(v) {
		return nil
	}
	arr := js.Global().Get("Array").Call("from", v)
	out := make([]js.Value, arr.Length())
	for i := range out {
		out[i] = arr.Index(i)
	}
	return out
}

// keys lists an object's own keys.
func keys(v js.Value) []string {
	if v.Type() != js.TypeObject {
		return nil
	}
	var out []string
	for _, k := range list(js.Global().Get("Object").Call("keys", v)) {
		out = append(out, k.String())
	}
	return out
}

// on subscribes handler to a client event; the handler runs on a goroutine
// so that it may await.
func on(client js.Value, name string, handler func(js.Value)) {
	client.Call("on", name, js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := arg(a, 0)
		go handler(v)
		return nil
	}))
}

// randomBytes is n bytes from crypto.getRandomValues, as a Uint8Array.
func randomBytes(n int) js.Value {
	b := js.Global().Get("Uint8Array").New(n)
	js.Global().Get("crypto").Call("getRandomValues", b)
	return b
}

func toHex(u js.Value) string {
	b := make([]byte, u.Length())
	js.CopyBytesToGo(b, u)
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func fromHex(s string) js.Value {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	for i := range b {
		b[i] = 0
	}
	return u
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// parseJSON is JSON.parse, undefined for bad JSON.
func parseJSON(text string) (v js.Value) {
	defer func() {
		if recover() != nil {
			v = js.Undefined()
		}
	}()
	return js.Global().Get("JSON").Call("parse", text)
}

// itoa and ftoa format numbers (fmt would add its reflection to the wasm).
func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

func encodeURIComponent(s string) string {
	return js.Global().Call("encodeURIComponent", s).String()
}
