package device_test

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hack-pad/hackpadfs/mem"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/store"
)

// One device's state in a key store, driven with Matrix JSON: the
// /keys/upload body, then a room message encrypted (a new room key is made
// and must go to the room's devices first) and decrypted again.
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
	defer d.Close()

	// /sync said: no one-time keys on the server, fallback keys supported.
	body, err := d.KeysForUpload(map[string]int{"signed_curve25519": 0}, []string{})
	if err != nil {
		panic(err)
	}
	var upload map[string]json.RawMessage
	json.Unmarshal(body, &upload)
	fields := make([]string, 0, len(upload))
	for k := range upload {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	fmt.Println("POST /keys/upload with", fields)

	enc, err := d.EncryptRoomEvent("!room:example.org", "m.room.message", []byte(`{"msgtype":"m.text","body":"hello"}`), megolm.RotationPolicy{})
	if err != nil {
		panic(err)
	}
	fmt.Println("new room key to share:", enc.RoomKey != nil)

	event, _ := json.Marshal(map[string]any{"event_id": "$1", "sender": "@alice:example.org", "content": json.RawMessage(enc.Content)})
	ev, err := d.DecryptRoomEvent("!room:example.org", event)
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Type, string(ev.Content), ev.MessageIndex)
	// Output:
	// POST /keys/upload with [device_keys fallback_keys one_time_keys]
	// new room key to share: true
	// m.room.message {"body":"hello","msgtype":"m.text"} 0
}
