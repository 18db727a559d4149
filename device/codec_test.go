package device

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// Device records are read by internal/bincodec. Bytes as the device's own
// codec wrote them before (uvarint version, uvarint-prefixed strings,
// booleans as 0/1) still read the same; forms that codec never wrote but
// accepted (overlong varints, a boolean byte other than 0 or 1, read as
// false) are now damaged records.
func TestDeviceRecordsAreStrict(t *testing.T) {
	written := []byte{1, 2, '@', 'a', 1, 'D', 1, 'c', 1, 'e'}
	info, err := decodeDevice(written)
	if err != nil || info != (DeviceInfo{UserID: "@a", DeviceID: "D", Curve25519: "c", Ed25519: "e"}) {
		t.Fatalf("%+v %v", info, err)
	}
	if got := encodeDevice(info); string(got) != string(written) {
		t.Fatalf("encoding changed: %x, was %x", got, written)
	}
	for name, raw := range map[string][]byte{
		"overlong version": append([]byte{0x81, 0x00}, written[1:]...),
		"overlong length":  {1, 0x82, 0x00, '@', 'a', 1, 'D', 1, 'c', 1, 'e'},
		"trailing byte":    append(append([]byte{}, written...), 0),
		"truncated":        written[:len(written)-1],
	} {
		if _, err := decodeDevice(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// sender key, sender ed25519, empty chain, shared history 2 (was read
	// as false), imported 0, empty state.
	inbound := []byte{1, 1, 'k', 1, 'e', 0, 2, 0, 0}
	if _, err := decodeInbound(store.InboundSession{RoomID: "!r", State: inbound}); errcode.Of(err) != errcode.BadPickle {
		t.Fatalf("boolean 2: %v", err)
	}
}
