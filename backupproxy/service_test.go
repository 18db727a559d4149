package backupproxy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// These tests drive Handle without storage: the paths that must answer
// before (or instead of) touching a database. Storage itself is tested under
// workerd with D1 (tests/worker-*.test.mjs).

type whoami struct {
	user  string
	err   error
	calls int
}

func (w *whoami) WhoAmI(string) (string, error) { w.calls++; return w.user, w.err }
func (w *whoami) KeysQuery(string, string) ([]byte, error) {
	return []byte(`{"device_keys":{}}`), nil
}

// panicking stands in for a database whose driver panics.
type panicking struct{}

func (panicking) Query(Stmt) ([][]any, error)   { panic("driver bug") }
func (panicking) Batch([]Stmt) ([][]any, error) { panic("driver bug") }

type failing struct{}

func (failing) Query(Stmt) ([][]any, error) {
	return nil, errors.New("D1_ERROR: no such table: backup_keys")
}
func (failing) Batch([]Stmt) ([][]any, error) {
	return nil, errors.New("D1_ERROR: no such table: backup_keys")
}

func request(method, path, auth string) Request {
	return Request{Method: method, EscapedPath: path, Authorization: auth, ReadBody: func(int) ([]byte, error) { return []byte(`{}`), nil }}
}

func errcodeOf(t *testing.T, r Response) string {
	t.Helper()
	obj, err := jsonvalue.ParseObject(r.Body)
	if err != nil {
		t.Fatalf("error body is not JSON: %s", r.Body)
	}
	code, _ := obj["errcode"].(string)
	return code
}

func TestHandleAnswersBeforeStorage(t *testing.T) {
	up := &whoami{user: "@a:hs"}
	b := Backends{DBs: []DB{failing{}}, DBNames: []string{"DB0"}, Upstream: up}
	s := NewService(Config{AuthCacheTTL: time.Minute})

	if r := s.Handle(request("GET", "/_matrix/client/versions", ""), b); !r.Proxy {
		t.Fatal("a non-backup path is not proxied")
	}
	if r := s.Handle(request("OPTIONS", "/_matrix/client/v3/room_keys/version", ""), b); !r.Proxy {
		t.Fatal("a preflight is not proxied")
	}
	if r := s.Handle(request("GET", "/_matrix/client/v3/room_keys/version", ""), b); r.Status != 401 || errcodeOf(t, r) != ErrMissingToken {
		t.Fatalf("no token: %d %s", r.Status, r.Body)
	}
	if up.calls != 0 {
		t.Fatal("the upstream was asked without a token")
	}
	if r := s.Handle(request("PATCH", "/_matrix/client/v3/room_keys/keys", "Bearer t"), b); r.Status != 405 || errcodeOf(t, r) != ErrUnrecognized {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	// a storage failure is a 500 M_UNKNOWN that names nothing inside
	r := s.Handle(request("GET", "/_matrix/client/v3/room_keys/version", "Bearer t"), b)
	if r.Status != 500 || errcodeOf(t, r) != ErrUnknown || strings.Contains(string(r.Body), "backup_keys") {
		t.Fatalf("storage failure: %d %s", r.Status, r.Body)
	}
	// the token's user is remembered
	s.Handle(request("GET", "/_matrix/client/v3/room_keys/version", "Bearer t"), b)
	if up.calls != 1 {
		t.Fatalf("whoami asked %d times for one token", up.calls)
	}
}

func TestHandlePanicIsOneRequests500(t *testing.T) {
	up := &whoami{user: "@a:hs"}
	s := NewService(Config{AuthCacheTTL: time.Minute})
	r := s.Handle(request("GET", "/_matrix/client/v3/room_keys/version", "Bearer t"), Backends{DBs: []DB{panicking{}}, DBNames: []string{"DB0"}, Upstream: up})
	if r.Status != 500 || errcodeOf(t, r) != ErrUnknown {
		t.Fatalf("panic: %d %s", r.Status, r.Body)
	}
	// the service goes on serving
	r = s.Handle(request("GET", "/_matrix/client/v3/room_keys/version", "Bearer t"), Backends{DBs: []DB{failing{}}, DBNames: []string{"DB0"}, Upstream: up})
	if r.Status != 500 {
		t.Fatalf("after a panic: %d", r.Status)
	}
}

func TestUpstreamAnswers(t *testing.T) {
	if u, err := ParseWhoAmI(200, []byte(`{"user_id":"@a:hs","device_id":"D"}`)); err != nil || u != "@a:hs" {
		t.Fatalf("whoami: %q %v", u, err)
	}
	raw := []byte(`{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed.","soft_logout":false}`)
	_, err := ParseWhoAmI(401, raw)
	var me *MatrixError
	if !errors.As(err, &me) || me.Status != 401 || string(me.JSON()) != string(raw) {
		t.Fatalf("401 not passed on: %v", err)
	}
	for _, c := range []struct {
		status int
		body   string
	}{{500, `{}`}, {200, `nope`}, {200, `{"user_id":""}`}} {
		_, err := ParseWhoAmI(c.status, []byte(c.body))
		if !errors.As(err, &me) || me.Status != 502 {
			t.Fatalf("%d %s: %v", c.status, c.body, err)
		}
	}
	if e := UpstreamError(true, ""); e.Status != 504 || e.Code != ErrUnknown {
		t.Fatalf("timeout: %+v", e)
	}
	if KeysQueryBody(`@a"b:hs`) != `{"device_keys":{"@a\"b:hs":[]}}` {
		t.Fatalf("keys/query body: %s", KeysQueryBody(`@a"b:hs`))
	}
}

func TestErrorJSON(t *testing.T) {
	e := newError(403, ErrWrongKeysVersion, "not \"current\"")
	e.Extra = map[string]string{"current_version": "2"}
	if got := string(e.JSON()); got != `{"errcode":"M_WRONG_ROOM_KEYS_VERSION","error":"not \"current\"","current_version":"2"}` {
		t.Fatal(got)
	}
	if got := string(appendJSONString(nil, "a\x01\xff")); got != `"a\u0001`+"\ufffd"+`"` {
		t.Fatal(got)
	}
}
