package backupproxy

import (
	"net/url"
	"strconv"
	"strings"
)

// RouteKind names a backup endpoint.
type RouteKind int

const (
	// Proxy: not a backup endpoint; the host passes it upstream unchanged.
	Proxy RouteKind = iota
	// Version: /room_keys/version (POST create, GET latest).
	Version
	// VersionByID: /room_keys/version/{version} (GET, PUT, DELETE).
	VersionByID
	// Keys: /room_keys/keys[/{roomId}[/{sessionId}]] (GET, PUT, DELETE).
	Keys
)

// Route is a parsed request path.
type Route struct {
	Kind RouteKind
	// VersionID is the {version} path segment (VersionByID), undecoded to an integer.
	VersionID string
	// RoomID and SessionID are the decoded path segments (Keys); empty when absent.
	RoomID, SessionID string
}

// The client-server API releases that serve room_keys (Synapse serves all three).
var backupPrefixes = []string{
	"/_matrix/client/v3/room_keys/",
	"/_matrix/client/unstable/room_keys/",
	"/_matrix/client/r0/room_keys/",
}

// BackupPrefixes are the path prefixes of the backup API; the host may send
// every other request (and every OPTIONS) upstream without asking Handle.
func BackupPrefixes() []string { return append([]string(nil), backupPrefixes...) }

// ParseRoute classifies a request. escapedPath is the path as sent (percent
// encoding kept), so room and session ids containing '/' survive. OPTIONS
// always goes upstream: CORS preflights are the homeserver's to answer.
func ParseRoute(method, escapedPath string) (Route, bool) {
	if method == "OPTIONS" {
		return Route{Kind: Proxy}, true
	}
	rest, ok := "", false
	for _, p := range backupPrefixes {
		if strings.HasPrefix(escapedPath, p) {
			rest, ok = escapedPath[len(p):], true
			break
		}
	}
	if !ok {
		return Route{Kind: Proxy}, true
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil || d == "" {
			return Route{}, false
		}
		segs[i] = d
	}
	switch {
	case segs[0] == "version" && len(segs) == 1:
		return Route{Kind: Version}, true
	case segs[0] == "version" && len(segs) == 2:
		return Route{Kind: VersionByID, VersionID: segs[1]}, true
	case segs[0] == "keys" && len(segs) <= 3:
		r := Route{Kind: Keys}
		if len(segs) > 1 {
			r.RoomID = segs[1]
		}
		if len(segs) > 2 {
			r.SessionID = segs[2]
		}
		return r, true
	}
	return Route{}, false
}

// parseVersionID reads a backup version id: the decimal integers this server
// hands out. Anything else names no version.
func parseVersionID(s string) (int64, bool) {
	if s == "" || len(s) > 18 || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// queryParam returns the first value of name in a raw query string.
func queryParam(rawQuery, name string) (string, bool) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", false
	}
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}
