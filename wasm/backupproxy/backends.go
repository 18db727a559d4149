//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

// backends wraps the host's databases and upstream for one request.
func backends(host js.Value, upstreamURL string) backupproxy.Backends {
	names := host.Get("dbNames")
	b := backupproxy.Backends{Upstream: newUpstream(host, strings.TrimSuffix(upstreamURL, "/")), AuthCache: authCache{host}}
	for i := 0; i < names.Length(); i++ {
		b.DBNames = append(b.DBNames, names.Index(i).String())
		b.DBs = append(b.DBs, d1{host: host, index: i})
	}
	return b
}

// d1 runs statements on one D1 binding through the host's query/batch.
type d1 struct {
	host  js.Value
	index int
}

func stmtToJS(s backupproxy.Stmt) js.Value {
	args := js.Global().Get("Array").New()
	for _, a := range s.Args {
		switch v := a.(type) {
		case int64:
			args.Call("push", float64(v))
		default:
			args.Call("push", v)
		}
	}
	return js.ValueOf([]any{s.SQL, args})
}

func (d d1) Query(s backupproxy.Stmt) ([][]any, error) {
	v, err := await(d.host.Call("query", d.index, stmtToJS(s)))
	if err != nil {
		return nil, err
	}
	return rowsFromJS(v), nil
}

func (d d1) Batch(ss []backupproxy.Stmt) ([][]any, error) {
	list := js.Global().Get("Array").New()
	for _, s := range ss {
		list.Call("push", stmtToJS(s))
	}
	v, err := await(d.host.Call("batch", d.index, list))
	if err != nil {
		return nil, err
	}
	return rowsFromJS(v), nil
}

func rowsFromJS(v js.Value) [][]any {
	n := v.Length()
	rows := make([][]any, n)
	for i := 0; i < n; i++ {
		r := v.Index(i)
		cols := r.Length()
		row := make([]any, cols)
		for j := 0; j < cols; j++ {
			c := r.Index(j)
			switch c.Type() {
			case js.TypeString:
				row[j] = c.String()
			case js.TypeNumber:
				row[j] = c.Float()
			case js.TypeBoolean:
				if c.Bool() {
					row[j] = float64(1)
				} else {
					row[j] = float64(0)
				}
			}
		}
		rows[i] = row
	}
	return rows
}

// upstream calls the homeserver with syumai/workers' fetch client. Its
// binding is the host's upstreamFetch: globalThis.fetch called with this
// request's timeout signal (syumai's RequestInit carries no signal). A
// binding object also keeps fetch's receiver right: the default binding,
// syumai's proxy of globalThis, fails with "Illegal invocation".
type upstream struct {
	client *fetch.Client
	base   string
}

func newUpstream(host js.Value, base string) upstream {
	return upstream{client: fetch.NewClient(fetch.WithBinding(host.Get("upstreamFetch"))), base: base}
}

// call sends one request and returns status and body; failures to get an
// answer become 502/504. A GET goes with a nil body.
func (u upstream) call(method, path, token string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := fetch.NewRequest(context.Background(), method, u.base+path, rd)
	if err != nil {
		return 0, nil, backupproxy.UpstreamError(false, "bad upstream URL")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := u.client.Do(req, nil)
	if err != nil {
		return 0, nil, backupproxy.UpstreamError(strings.Contains(err.Error(), "TimeoutError"), err.Error())
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, backupproxy.UpstreamError(strings.Contains(err.Error(), "TimeoutError"), err.Error())
	}
	return res.StatusCode, b, nil
}

func (u upstream) WhoAmI(token string) (string, error) {
	status, body, err := u.call("GET", "/_matrix/client/v3/account/whoami", token, nil)
	if err != nil {
		return "", err
	}
	return backupproxy.ParseWhoAmI(status, body)
}

func (u upstream) KeysQuery(token, userID string) ([]byte, error) {
	status, body, err := u.call("POST", "/_matrix/client/v3/keys/query", token, []byte(backupproxy.KeysQueryBody(userID)))
	if err != nil {
		return nil, err
	}
	return backupproxy.CheckKeysQuery(status, body)
}

// authCache is the isolate's token cache, kept by the host so every Go
// instance of the isolate (and a fresh one) shares it.
type authCache struct{ host js.Value }

func (c authCache) LookupUser(key string) (string, bool) {
	v := c.host.Call("authGet", key)
	if v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

func (c authCache) RememberUser(key, userID string, ttl time.Duration) {
	c.host.Call("authPut", key, userID, ttl.Milliseconds())
}
