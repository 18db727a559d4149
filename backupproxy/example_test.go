package backupproxy_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

// The Worker's host parses a request path to decide whether the backup
// service answers it, then validates a PUT body into the rows it stores.
func Example() {
	route, ok := backupproxy.ParseRoute("PUT", "/_matrix/client/v3/room_keys/keys/%21room%3Aexample.org")
	fmt.Println(ok, route.Kind != backupproxy.Proxy, route.RoomID)

	other, _ := backupproxy.ParseRoute("GET", "/_matrix/client/v3/sync")
	fmt.Println("sync passed upstream:", other.Kind == backupproxy.Proxy)

	body := []byte(`{"sessions":{"SESSION":{"first_message_index":0,"forwarded_count":0,"is_verified":true,
		"session_data":{"ephemeral":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAA"}}}}`)
	rows, merr := backupproxy.ParseKeysBody(body, route.RoomID, "")
	if merr != nil {
		panic(merr)
	}
	for _, r := range rows {
		fmt.Println(r.RoomID, r.SessionID, r.IsVerified, len(r.SessionData) > 0)
	}
	// Output:
	// true true !room:example.org
	// sync passed upstream: true
	// !room:example.org SESSION true true
}
