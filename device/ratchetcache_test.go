package device

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A session decoded and kept for decryption is decoded again once the
// stored copy changes: a later key used first, then a forward reaching
// further back (refused before it came), and the earlier messages decrypt
// with the new copy.
func TestRatchetCacheFollowsTheStoredKey(t *testing.T) {
	alice, bob, bob2 := aliceAndTwoBobs(t)
	const room = "!cache:example.org"
	sessionID, events, _ := lateShare(t, alice, bob, bob2, room, 4) // bob2 from index 4
	more, err := alice.EncryptRoomEvent(room, "m.room.message", []byte(`{"n":4}`), megolm.RotationPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if re, err := bob2.DecryptRoomEvent(room, roomEvent(t, "$4", more.Content)); err != nil || re.MessageIndex != 4 || re.Imported {
		t.Fatalf("index 4: %+v %v", re, err)
	}
	_, err = bob2.DecryptRoomEvent(room, roomEvent(t, "$1", events[1]))
	wantCode(t, err, errcode.UnknownMessageIndex)

	fwd, src := forwardKey(t, bob, bob2, "@bob:example.org", "BOB2", room, sessionID)
	if out, err := bob2.ImportRoomKey(fwd, src); err != nil || out != Imported {
		t.Fatalf("import: %v %v", out, err)
	}
	for i := 3; i >= 0; i-- {
		re, err := bob2.DecryptRoomEvent(room, roomEvent(t, "$"+string(rune('0'+i)), events[i]))
		if err != nil || re.MessageIndex != uint32(i) {
			t.Fatalf("event %d after the forward: %+v %v", i, re, err)
		}
	}
	// Close drops what was kept; a reopened device decodes again.
	bob2.Close()
	if len(bob2.ratchets.m) != 0 {
		t.Fatal("Close kept decoded sessions")
	}
}
