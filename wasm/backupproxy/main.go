//go:build js && wasm

// Command backupproxy is the key-backup Worker, built on syumai/workers: its
// handler turns each workerd Request into an *http.Request for serveHTTP,
// and its fetch client calls the upstream homeserver. worker.mjs (ours, in
// place of the one workers-assets-gen writes) keeps this instance alive
// across requests and gives it one request at a time; see there for why.
package main

import (
	"net/http"
	"syscall/js"
	"time"

	"github.com/syumai/workers"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

func main() {
	workers.ServeNonBlock(http.HandlerFunc(serveHTTP))
	// What worker.mjs answers without Go: its own errors' headers, and which
	// paths it passes upstream directly.
	binding := runtimeContext.Get("binding")
	headers := js.Global().Get("Array").New()
	for _, h := range responseHeaders {
		headers.Call("push", js.ValueOf([]any{h[0], h[1]}))
	}
	binding.Set("headers", headers)
	prefixes := js.Global().Get("Array").New()
	for _, p := range backupproxy.BackupPrefixes() {
		prefixes.Call("push", p)
	}
	binding.Set("backupPrefixes", prefixes)
	binding.Set("settle", settleF)
	workers.Ready()
	// Not <-workers.Done(): that closes after the first response, and the
	// instance serves many.
	select {}
}

var (
	service *backupproxy.Service
	// runtimeContext is the object syumai's wasm_exec.js gives this instance
	// as `context`; worker.mjs puts each request's host on it.
	runtimeContext = js.Global().Get("context")
)

// serveHTTP answers one backup request. The request's host (its D1
// handles, the isolate's token cache, the upstream binding) is on the
// runtime context syumai's wasm_exec.js gives this instance as `context`;
// worker.mjs sets it before each request.
func serveHTTP(w http.ResponseWriter, r *http.Request) {
	host := runtimeContext.Get("host")
	defer func() {
		// service.Handle recovers its own panics; this catches the rest
		// (the adapters here), for this request only.
		if p := recover(); p != nil {
			writeJSON(w, backupproxy.InternalError().Status, backupproxy.InternalError().JSON())
		}
	}()
	testFault(r)
	if service == nil {
		service = backupproxy.NewService(backupproxy.Config{
			MaxBodyBytes: host.Get("maxBodyBytes").Int(),
			AuthCacheTTL: time.Duration(host.Get("authCacheSeconds").Int()) * time.Second,
			Now:          hostNow,
		})
	}
	req := backupproxy.Request{
		Method:        r.Method,
		EscapedPath:   r.URL.EscapedPath(),
		RawQuery:      r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"),
		ReadBody:      func(limit int) ([]byte, error) { return readBody(r, limit) },
	}
	resp := service.Handle(req, backends(host))
	switch {
	case resp.Proxy:
		host.Set("proxy", true)
		rawBody(w, js.Null())
	case resp.Stream != nil:
		host.Set("streaming", true)
		w.WriteHeader(resp.Status)
		rawBody(w, streamBody(resp.Stream, host))
	default:
		writeJSON(w, resp.Status, resp.Body)
	}
}

// responseHeaders are the headers of every answer made here (JSON, CORS).
// worker.mjs sets them on the Response syumai's handler returns: each Go
// string crossing into JS costs a JS value with a Go finalizer, and these
// are the same on every answer.
var responseHeaders = backupproxy.ResponseHeaders()

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.WriteHeader(status)
	rawBody(w, bytesToJS(body))
}

// rawBody hands the answer's body to the Response as a JS value. Writing
// through the ResponseWriter instead would close syumai's done channel when
// the body ends, which it can do once per instance: the second answer would
// panic on a closed channel.
func rawBody(w http.ResponseWriter, body js.Value) {
	w.(interface{ WriteRawJSBody(js.Value) }).WriteRawJSBody(body)
}

// hostNow reads the host clock (Date.now): under workerd it advances with
// I/O, which is what a cache lifetime needs.
func hostNow() time.Time {
	return time.UnixMilli(int64(js.Global().Get("Date").Call("now").Float()))
}

func bytesToJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}
