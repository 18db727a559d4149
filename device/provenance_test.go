package device

import (
	"fmt"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// provenanceWorld: Alice sends four events in one session; Bob received the
// room key from her over Olm only at index 2; Carol is a third device that
// can forward copies to Bob.
type provenanceWorld struct {
	alice, bob, carol *Device
	room, sessionID   string
	events            [][]byte
	full              map[string]any // Alice's copy from index 0 as m.forwarded_room_key content
}

const provenanceRoom = "!prov:example.org"

func newProvenanceWorld(t *testing.T, bobGetsOlmKey bool) *provenanceWorld {
	t.Helper()
	c := newClock()
	srv := newServer(t)
	w := &provenanceWorld{room: provenanceRoom}
	w.alice = newDevice(t, "@alice:example.org", "ALICE", c)
	w.bob = newDevice(t, "@bob:example.org", "BOB", c)
	w.carol = newDevice(t, "@carol:example.org", "CAROL", c)
	for _, d := range []*Device{w.alice, w.bob, w.carol} {
		srv.sync(d)
	}
	srv.connect(w.alice, w.bob)
	srv.connect(w.carol, w.bob)
	for i := range 4 {
		out, err := w.alice.EncryptRoomEvent(w.room, "m.room.message", mustJSON(t, map[string]any{"n": i}), megolm.RotationPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		w.sessionID = out.SessionID
		w.events = append(w.events, out.Content)
		if i == 1 && bobGetsOlmKey {
			w.shareLate(t)
		}
	}
	fwd, err := w.alice.ForwardRoomKey(w.room, w.sessionID)
	if err != nil {
		t.Fatal(err)
	}
	w.full = unJSON(t, fwd)
	return w
}

// shareLate sends Bob the m.room_key at Alice's current index over Olm.
func (w *provenanceWorld) shareLate(t *testing.T) {
	t.Helper()
	late, err := w.alice.RoomKeyContent(w.room)
	if err != nil {
		t.Fatal(err)
	}
	share(t, w.alice, late, w.bob)
}

// copyClaiming is Alice's full copy with the creator's Ed25519 key replaced
// by claimed (unchanged when empty).
func (w *provenanceWorld) copyClaiming(claimed string) map[string]any {
	c := map[string]any{}
	for k, v := range w.full {
		c[k] = v
	}
	if claimed != "" {
		c["sender_claimed_ed25519_key"] = claimed
	}
	return c
}

// sessionData turns forwarded content into backup / key export session data.
func sessionData(fwd map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range fwd {
		c[k] = v
	}
	c["sender_claimed_keys"] = map[string]any{"ed25519": c["sender_claimed_ed25519_key"]}
	delete(c, "sender_claimed_ed25519_key")
	return c
}

// deliver hands Bob the copy by one of the four ways a room key copy
// arrives and returns the error of a single import, or the error code
// counted for a bulk one ("" when it was imported).
func (w *provenanceWorld) deliver(t *testing.T, how string, fwd map[string]any) errcode.Code {
	t.Helper()
	bob := w.bob
	single := func(err error) errcode.Code {
		if err != nil {
			return errcode.Of(err)
		}
		return ""
	}
	bulk := func(res *RestoreResult, err error) errcode.Code {
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 {
			t.Fatalf("result %+v", res)
		}
		for code, n := range res.Failures {
			if n == 1 {
				return code
			}
		}
		switch {
		case res.Imported == 1:
			return ""
		case res.Skipped == 1:
			return skipped
		}
		t.Fatalf("neither imported, skipped nor failed: %+v", res)
		return ""
	}
	switch how {
	case "m.forwarded_room_key":
		enc, err := w.carol.EncryptToDevice(bob.UserID(), bob.DeviceID(), how, mustJSON(t, fwd))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := bob.DecryptToDevice(toDeviceEvent(t, w.carol, enc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = bob.ImportRoomKey(ev.Content, RoomKeySource{Kind: ev.Type, SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519})
		return single(err)
	case "backup entry":
		_, err := bob.ImportRoomKey(mustJSON(t, sessionData(fwd)), RoomKeySource{Kind: "backup", RoomID: w.room, SessionID: w.sessionID})
		return single(err)
	case "key export file":
		text, err := encryptExportPass(mustJSON(t, []any{sessionData(fwd)}), "pass", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return bulk(bob.ImportRoomKeys(text, "pass", nil))
	case "backup restore":
		nb, err := w.alice.CreateBackupVersion()
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.EnableBackup("1", nb.PublicKey); err != nil {
			t.Fatal(err)
		}
		data := sessionData(fwd)
		delete(data, "room_id")
		delete(data, "session_id")
		enc, err := backup.Encrypt(nb.PublicKey, mustJSON(t, data))
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"rooms": map[string]any{w.room: map[string]any{"sessions": map[string]any{w.sessionID: map[string]any{
			"first_message_index": 0, "forwarded_count": 1, "is_verified": false, "session_data": enc,
		}}}}}
		return bulk(bob.RestoreBackup(nb.PrivateKey, mustJSON(t, body), nil))
	}
	t.Fatalf("unknown way %q", how)
	return ""
}

// wantEvents decrypts Alice's events at Bob from index `from` on and checks
// who they are attributed to and how; those below are UNKNOWN_MESSAGE_INDEX.
func (w *provenanceWorld) wantEvents(t *testing.T, from int, imported bool) {
	t.Helper()
	for i, e := range w.events {
		re, err := w.bob.DecryptRoomEvent(w.room, roomEvent(t, fmt.Sprint("$", i), e))
		if i < from {
			wantCode(t, err, errcode.UnknownMessageIndex)
			continue
		}
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if re.SenderKey != w.alice.IdentityKeys().Curve25519 || re.SenderEd25519 != w.alice.IdentityKeys().Ed25519 {
			t.Fatalf("event %d attributed to %s / %s, not Alice", i, re.SenderKey, re.SenderEd25519)
		}
		if re.Imported != imported {
			t.Fatalf("event %d: imported %v, want %v", i, re.Imported, imported)
		}
	}
}

// skipped: a bulk import left the entry alone, as the copy held was as good.
const skipped errcode.Code = "(skipped)"

var copyWays = []string{"m.forwarded_room_key", "backup entry", "key export file", "backup restore"}

func TestOlmProvenSessionKeepsItsProvenanceWhenABetterCopyArrives(t *testing.T) {
	for _, how := range copyWays {
		t.Run(how, func(t *testing.T) {
			w := newProvenanceWorld(t, true)
			w.wantEvents(t, 2, false)
			// A copy from index 0 naming another creator is refused and
			// changes nothing.
			if code := w.deliver(t, how, w.copyClaiming(w.carol.IdentityKeys().Ed25519)); code != KeyConflict {
				t.Fatalf("copy claiming Carol's key: %q, want %s", code, KeyConflict)
			}
			w.wantEvents(t, 2, false)
			// The honest copy from index 0 extends the ratchet; every event,
			// the earlier ones too, stays authenticated (signed with the
			// session key the Olm-received key proved).
			if code := w.deliver(t, how, w.copyClaiming("")); code != "" {
				t.Fatalf("honest copy: %s", code)
			}
			w.wantEvents(t, 0, false)
			// After that, a lying copy is still refused (a backup restore
			// does not even decrypt an entry that cannot reach further back).
			want := KeyConflict
			if how == "backup restore" {
				want = skipped
			}
			if code := w.deliver(t, how, w.copyClaiming(w.carol.IdentityKeys().Ed25519)); code != want {
				t.Fatalf("copy claiming Carol's key after the merge: %q", code)
			}
			w.wantEvents(t, 0, false)
		})
	}
}

func TestOlmKeyUpgradesTheProvenanceOfAClaimedCopy(t *testing.T) {
	for _, how := range copyWays {
		t.Run(how, func(t *testing.T) {
			// An honest copy first: events are only claimed to be Alice's.
			w := newProvenanceWorld(t, false)
			if code := w.deliver(t, how, w.copyClaiming("")); code != "" {
				t.Fatalf("honest copy: %s", code)
			}
			w.wantEvents(t, 0, true)
			// Alice's own m.room_key (from index 3) proves them, and the
			// copy's earlier ratchet stays.
			w.shareLate(t)
			w.wantEvents(t, 0, false)
		})
	}
	t.Run("a lying copy held first is corrected by the Olm key", func(t *testing.T) {
		w := newProvenanceWorld(t, false)
		if code := w.deliver(t, "backup entry", w.copyClaiming(w.carol.IdentityKeys().Ed25519)); code != "" {
			t.Fatalf("first copy: %s", code)
		}
		re, err := w.bob.DecryptRoomEvent(w.room, roomEvent(t, "$0", w.events[0]))
		if err != nil || !re.Imported || re.SenderEd25519 != w.carol.IdentityKeys().Ed25519 {
			t.Fatalf("%+v %v", re, err)
		}
		w.shareLate(t)
		w.wantEvents(t, 0, false)
		// A second claimed copy naming yet another key is refused.
		if code := w.deliver(t, "backup entry", w.copyClaiming(w.bob.IdentityKeys().Ed25519)); code != KeyConflict {
			t.Fatalf("%q", code)
		}
	})
	t.Run("two claimed copies that disagree: the held one stays", func(t *testing.T) {
		w := newProvenanceWorld(t, false)
		if code := w.deliver(t, "backup entry", w.copyClaiming("")); code != "" {
			t.Fatal(code)
		}
		if code := w.deliver(t, "key export file", w.copyClaiming(w.carol.IdentityKeys().Ed25519)); code != KeyConflict {
			t.Fatalf("%q", code)
		}
		w.wantEvents(t, 0, true)
	})
}
