//go:build js && wasm

// Command backupproxy is the key-backup Worker: the Go side of
// wasm/backupproxy/worker.mjs, which keeps a small pool of these instances per
// isolate and gives each one request at a time (see worker.mjs for why).
package main

import (
	"syscall/js"
	"time"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

func main() {
	var service *backupproxy.Service
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		req, host := args[0], args[1]
		if service == nil {
			service = backupproxy.NewService(backupproxy.Config{
				MaxBodyBytes: host.Get("maxBodyBytes").Int(),
				AuthCacheTTL: time.Duration(host.Get("authCacheSeconds").Int()) * time.Second,
				Now:          hostNow,
			})
		}
		return promise(func() (js.Value, error) { return serve(service, req, host), nil })
	})
	api := js.Global().Get("Object").New()
	api.Set("handle", handle)
	headers := js.Global().Get("Array").New()
	for _, h := range backupproxy.ResponseHeaders() {
		headers.Call("push", js.ValueOf([]any{h[0], h[1]}))
	}
	api.Set("headers", headers)
	prefixes := js.Global().Get("Array").New()
	for _, p := range backupproxy.BackupPrefixes() {
		prefixes.Call("push", p)
	}
	api.Set("backupPrefixes", prefixes)
	js.Global().Call("__mxBackupProxyRegister", api)
	select {}
}

// hostNow reads the host clock (Date.now): under workerd it advances with
// I/O, which is what a cache lifetime needs.
func hostNow() time.Time {
	return time.UnixMilli(int64(js.Global().Get("Date").Call("now").Float()))
}

func serve(service *backupproxy.Service, req, host js.Value) js.Value {
	r := backupproxy.Request{
		Method:        req.Get("method").String(),
		EscapedPath:   req.Get("path").String(),
		RawQuery:      req.Get("query").String(),
		Authorization: req.Get("authorization").String(),
		ReadBody:      func(limit int) ([]byte, error) { return readBody(host, limit) },
	}
	resp := service.Handle(r, backends(host))
	out := js.Global().Get("Object").New()
	switch {
	case resp.Proxy:
		out.Set("proxy", true)
	case resp.Stream != nil:
		out.Set("status", resp.Status)
		out.Set("stream", streamToJS(resp.Stream))
	default:
		out.Set("status", resp.Status)
		out.Set("body", bytesToJS(resp.Body))
	}
	return out
}

func readBody(host js.Value, limit int) ([]byte, error) {
	v, err := await(host.Call("readBody", limit))
	if err != nil {
		return nil, err
	}
	if v.IsNull() {
		return nil, backupproxy.ErrBodyTooLarge
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func bytesToJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}
