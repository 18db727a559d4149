package device

import (
	"fmt"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
)

// BenchmarkDecryptRoomEventAfter measures one decryption (with its replay
// record update and store commit) in a session that has already seen n
// messages: the cost must not grow with n.
func BenchmarkDecryptRoomEventAfter(b *testing.B) {
	for _, n := range []int{0, 500, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bob, _, _, events := sessionEventsTB(b, n+b.N)
			for i := range n {
				if _, err := bob.DecryptRoomEvent("!replay:example.org", roomEvent(b, eventID(i), events[i])); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := n; i < n+b.N; i++ {
				if _, err := bob.DecryptRoomEvent("!replay:example.org", roomEvent(b, eventID(i), events[i])); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// eventID: realistic event ids ($ and 43 characters of base64).
func eventID(i int) string { return fmt.Sprintf("$%043d", i) }

func sessionEventsTB(t testing.TB, n int) (bob *Device, reopen func() *Device, sessionID string, events [][]byte) {
	t.Helper()
	c := newClock()
	srv := newServer(t)
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	fsys := memFS(t)
	open := func() *Device {
		d, err := Open(openStore(t, fsys), Options{UserID: "@bob:example.org", DeviceID: "BOB", Clock: c.now})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	bob = open()
	srv.sync(alice)
	srv.sync(bob)
	srv.connect(alice, bob)
	for i := range n {
		out, err := alice.EncryptRoomEvent("!replay:example.org", "m.room.message", mustJSON(t, map[string]any{"i": i}), megolm.RotationPolicy{PeriodMsgs: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		if out.RoomKey != nil {
			shareTB(t, alice, out.RoomKey, bob)
		}
		sessionID = out.SessionID
		events = append(events, out.Content)
	}
	return bob, func() *Device { bob.Close(); bob = open(); return bob }, sessionID, events
}

func shareTB(t testing.TB, from *Device, roomKey []byte, to *Device) {
	t.Helper()
	enc, err := from.EncryptToDevice(to.UserID(), to.DeviceID(), "m.room_key", roomKey)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := to.DecryptToDevice(toDeviceEvent(t, from, enc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := to.ImportRoomKey(ev.Content, RoomKeySource{Kind: ev.Type, SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519}); err != nil {
		t.Fatal(err)
	}
}
