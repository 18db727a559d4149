//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/mxcrypto/mxcrypto/backupproxy"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// backends wraps the host's databases and upstream for one request.
func backends(host js.Value) backupproxy.Backends {
	b := backupproxy.Backends{Upstream: upstream{host: host}, AuthCache: authCache{host}}
	b.DBNames = dbNames(host.Get("dbNames").String())
	for i := range b.DBNames {
		b.DBs = append(b.DBs, d1{host: host, index: i})
	}
	return b
}

// dbNames splits BACKUP_DBS as worker.mjs normalized it ("DB0,DB1"), keeping
// the last answer: the setting is the same for every request of an isolate.
func dbNames(list string) []string {
	if list != lastDBList {
		lastDBList, lastDBNames = list, strings.Split(list, ",")
	}
	return lastDBNames
}

var (
	lastDBList  string
	lastDBNames []string
)

// d1 runs statements on one D1 binding through the host's query/batch.
type d1 struct {
	host  js.Value
	index int
}

// sqlText keeps each statement's text as a JS string once converted: the
// same few statements run on every request, and a Go string crossing into
// JS is a copy and a JS value with a finalizer each time.
var sqlText = map[string]js.Value{}

func sqlJS(sql string) js.Value {
	v, ok := sqlText[sql]
	if !ok {
		v = js.ValueOf(sql)
		sqlText[sql] = v
	}
	return v
}

// stmtArgs are a statement's arguments as host.query takes them after
// the statement: numbers cross as numbers, strings as strings.
func stmtArgs(s backupproxy.Stmt, prefix ...any) []any {
	out := append(prefix, sqlJS(s.SQL))
	for _, a := range s.Args {
		if n, ok := a.(int64); ok {
			out = append(out, float64(n))
		} else {
			out = append(out, a)
		}
	}
	return out
}

func (d d1) Query(s backupproxy.Stmt) ([][]any, error) {
	v, err := hostCall(d.host, "query", stmtArgs(s, d.index)...)
	if err != nil {
		return nil, err
	}
	return rowsFromJSON(v.String())
}

func (d d1) Batch(ss []backupproxy.Stmt) ([][]any, error) {
	list := js.Global().Get("Array").New()
	for _, s := range ss {
		list.Call("push", js.ValueOf(stmtArgs(s)))
	}
	v, err := hostCall(d.host, "batch", d.index, list)
	if err != nil {
		return nil, err
	}
	return rowsFromJSON(v.String())
}

// rowsFromJSON reads the rows the host sends as one JSON text (arrays of
// strings, numbers and nulls): one string crosses from JS instead of a JS
// value per row and per column.
func rowsFromJSON(text string) ([][]any, error) {
	v, err := jsonvalue.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	rows := make([][]any, len(list))
	for i, r := range list {
		cols, _ := r.([]any)
		for j, c := range cols {
			if n, ok := c.(jsonvalue.Number); ok {
				f, err := strconv.ParseFloat(string(n), 64)
				if err != nil {
					return nil, err
				}
				cols[j] = f
			}
		}
		rows[i] = cols
	}
	return rows, nil
}

// upstream calls the homeserver with syumai/workers' fetch client. Its
// binding is the host's upstreamFetch: globalThis.fetch called with this
// request's timeout signal (syumai's RequestInit carries no signal). A
// binding object also keeps fetch's receiver right: the default binding,
// syumai's proxy of globalThis, fails with "Illegal invocation".
type upstream struct{ host js.Value }

// call sends one request and returns status and body; failures to get an
// answer become 502/504. A GET goes with a nil body.
func (u upstream) call(method, path, token string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	base := strings.TrimSuffix(cloudflare.Getenv("UPSTREAM_URL"), "/")
	client := fetch.NewClient(fetch.WithBinding(u.host.Get("upstreamFetch")))
	req, err := fetch.NewRequest(context.Background(), method, base+path, rd)
	if err != nil {
		return 0, nil, backupproxy.UpstreamError(false, "bad upstream URL")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req, nil)
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
