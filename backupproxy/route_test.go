package backupproxy

import "testing"

func TestParseRoute(t *testing.T) {
	cases := []struct {
		method, path string
		want         Route
		ok           bool
	}{
		{"GET", "/_matrix/client/versions", Route{Kind: Proxy}, true},
		{"GET", "/_matrix/client/v3/room_keysx/version", Route{Kind: Proxy}, true},
		{"OPTIONS", "/_matrix/client/v3/room_keys/version", Route{Kind: Proxy}, true},
		{"POST", "/_matrix/client/v3/room_keys/version", Route{Kind: Version}, true},
		{"GET", "/_matrix/client/unstable/room_keys/version/12", Route{Kind: VersionByID, VersionID: "12"}, true},
		{"GET", "/_matrix/client/r0/room_keys/keys", Route{Kind: Keys}, true},
		{"PUT", "/_matrix/client/v3/room_keys/keys/%21a%2Fb%3Ahs", Route{Kind: Keys, RoomID: "!a/b:hs"}, true},
		{"PUT", "/_matrix/client/v3/room_keys/keys/!r:hs/sess%2B1", Route{Kind: Keys, RoomID: "!r:hs", SessionID: "sess+1"}, true},
		{"GET", "/_matrix/client/v3/room_keys/keys/a/b/c", Route{}, false},
		{"GET", "/_matrix/client/v3/room_keys/keys/", Route{}, false},
		{"GET", "/_matrix/client/v3/room_keys/keys/%zz", Route{}, false},
		{"GET", "/_matrix/client/v3/room_keys/other", Route{}, false},
		{"GET", "/_matrix/client/v3/room_keys/version/1/2", Route{}, false},
	}
	for _, c := range cases {
		got, ok := ParseRoute(c.method, c.path)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseRoute(%s %s) = %+v, %v; want %+v, %v", c.method, c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestParseVersionID(t *testing.T) {
	for _, s := range []string{"1", "42", "999999999999999999"} {
		if _, ok := parseVersionID(s); !ok {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "0", "-1", "+1", "1.0", "abc", "1e3", "9999999999999999999", " 1"} {
		if _, ok := parseVersionID(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func FuzzParseRoute(f *testing.F) {
	f.Add("GET", "/_matrix/client/v3/room_keys/keys/%21r%3Ahs/s")
	f.Add("PUT", "/_matrix/client/unstable/room_keys/version/1")
	f.Add("DELETE", "/_matrix/client/r0/room_keys/keys//")
	f.Fuzz(func(t *testing.T, method, path string) {
		r, ok := ParseRoute(method, path)
		if !ok {
			return
		}
		if r.Kind == Keys && r.RoomID == "" && r.SessionID != "" {
			t.Fatalf("a session without a room: %+v", r)
		}
	})
}
