package device

import (
	"fmt"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// sessionEvents: Alice sends n events in one session and shares its key
// with Bob, whose store is on fsys (so it can be reopened).
func sessionEvents(t *testing.T, n int) (bob *Device, reopen func() *Device, sessionID string, events [][]byte) {
	t.Helper()
	return sessionEventsTB(t, n)
}

// Replay records across bucket boundaries, in any order, survive reopening.
func TestReplayRecordsAcrossBuckets(t *testing.T) {
	n := 3*replayBucket + 5
	bob, reopen, _, events := sessionEvents(t, n)
	const room = "!replay:example.org"
	order := make([]int, 0, n)
	for i := n - 1; i >= 0; i -= 2 { // odd positions backwards, then the rest
		order = append(order, i)
	}
	for i := n - 2; i >= 0; i -= 2 {
		order = append(order, i)
	}
	for _, i := range order {
		re, err := bob.DecryptRoomEvent(room, roomEvent(t, fmt.Sprint("$", i), events[i]))
		if err != nil || re.MessageIndex != uint32(i) {
			t.Fatalf("event %d: %+v %v", i, re, err)
		}
	}
	bob = reopen()
	for _, i := range []int{0, 1, replayBucket - 1, replayBucket, replayBucket + 1, 2 * replayBucket, n - 1} {
		if _, err := bob.DecryptRoomEvent(room, roomEvent(t, fmt.Sprint("$", i), events[i])); err != nil {
			t.Fatalf("event %d again: %v", i, err)
		}
		_, err := bob.DecryptRoomEvent(room, roomEvent(t, fmt.Sprint("$other", i), events[i]))
		wantCode(t, err, errcode.ReplayedMessage)
	}
	// An empty event id is refused before anything is recorded.
	_, err := bob.DecryptRoomEvent(room, roomEvent(t, "", events[0]))
	wantCode(t, err, errcode.BadInput)
}

// A damaged replay record is reported (BAD_PICKLE), never taken as empty.
func TestDamagedReplayRecord(t *testing.T) {
	bob, _, sessionID, events := sessionEvents(t, 2)
	const room = "!replay:example.org"
	if _, err := bob.DecryptRoomEvent(room, roomEvent(t, "$0", events[0])); err != nil {
		t.Fatal(err)
	}
	k := replayKey(sessionID, 0)
	var good []byte
	bob.st.View(func(tx *store.Tx) error { good, _, _ = tx.Get(k); return nil })
	for _, bad := range [][]byte{{}, {2}, append(append([]byte{}, good...), 1), good[:len(good)-1], {1, replayBucket, 1, 'x'}, {1, 0, 0}} {
		if err := bob.st.Update(func(tx *store.Tx) error { return tx.Put(k, bad) }); err != nil {
			t.Fatal(err)
		}
		_, err := bob.DecryptRoomEvent(room, roomEvent(t, "$1", events[1]))
		wantCode(t, err, errcode.BadPickle)
	}
}

// FuzzReplayBucket: any stored bytes decode to a bucket that re-encodes to
// the same bytes, or to a coded error; never a panic.
func FuzzReplayBucket(f *testing.F) {
	f.Add([]byte{1})
	f.Add([]byte{1, 0, 2, '$', 'a', 5, 1, 'b'})
	f.Add([]byte{1, 64, 1, 'x'})
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := decodeReplayBucket(raw)
		if err != nil {
			if errcode.Of(err) == errcode.Internal {
				t.Fatalf("uncoded: %v", err)
			}
			return
		}
		if again, err := decodeReplayBucket(b.encode()); err != nil || len(again.offsets) != len(b.offsets) {
			t.Fatalf("re-encoding %x: %v", raw, err)
		}
	})
}
