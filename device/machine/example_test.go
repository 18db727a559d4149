package machine_test

import (
	"fmt"
	"time"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/device/machine"
	"github.com/mxcrypto/mxcrypto/store"
)

// A new device's machine asks to upload its keys and to query its own
// user's devices. The driver sends each request and reports the answer with
// MarkRequestAsSent; a request reported as sent is not listed again.
func Example() {
	fsys, err := mem.NewFS()
	if err != nil {
		panic(err)
	}
	st, err := store.Open(fsys, "alice", store.Options{Key: make([]byte, 32)})
	if err != nil {
		panic(err)
	}
	d, err := device.Open(st, device.Options{UserID: "@alice:example.org", DeviceID: "ALICEDEVICE"})
	if err != nil {
		panic(err)
	}
	m, err := machine.Open(d, time.Now)
	if err != nil {
		panic(err)
	}
	defer m.Close()

	reqs, err := m.OutgoingRequests()
	if err != nil {
		panic(err)
	}
	for _, r := range reqs {
		fmt.Println(r.Type, r.Method, r.Path)
	}

	// The homeserver's answer to the upload: it now holds 50 one-time keys.
	up := reqs[0]
	if _, err := m.MarkRequestAsSent(up.ID, up.Type, machine.Response{Body: []byte(`{"one_time_key_counts":{"signed_curve25519":50}}`)}); err != nil {
		panic(err)
	}
	reqs, err = m.OutgoingRequests()
	if err != nil {
		panic(err)
	}
	for _, r := range reqs {
		fmt.Println("still to send:", r.Type)
	}
	// Output:
	// keys_upload POST /_matrix/client/v3/keys/upload
	// keys_query POST /_matrix/client/v3/keys/query
	// still to send: keys_query
}
