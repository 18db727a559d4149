package machine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// DecryptRoomEvents gives each event what DecryptRoomEvent would have given
// it after the events before it: bodies and sender devices, a replay inside
// the batch and one against an earlier call refused, a bad event failing
// alone, an unknown session asked for; and the same timeline again decrypts
// (the same event ids at the same indices are no replay).
func TestDecryptRoomEventsBatch(t *testing.T) {
	_, _, a, b1, _ := setup(t)
	a.share(room, members, ShareSettings{})
	b1.sync()
	var evs [][]byte
	for i := 0; i < 5; i++ {
		evs = append(evs, a.roomEvent(room, fmt.Sprint("m", i)))
	}
	mustDecrypt(t, b1, evs[0], "m0") // decrypted before the batch
	replayed := decodeJSON(t, evs[1])
	replayed["event_id"] = "$replayed-in-batch"
	earlier := decodeJSON(t, evs[0])
	earlier["event_id"] = "$replayed-earlier"
	batch := [][]byte{
		evs[0], evs[1], toJSON(t, replayed), []byte(`{"sender": 1}`), evs[2],
		toJSON(t, earlier), []byte(`{"type":"m.room.encrypted","sender":"@alice:example.org","event_id":"$u","content":{"algorithm":"m.megolm.v1.aes-sha2","session_id":"nosuchsession","sender_key":"x","ciphertext":"AwgAEhAA"}}`),
		evs[3], evs[4],
	}
	want := []any{"m0", "m1", errcode.ReplayedMessage, errcode.BadInput, "m2", errcode.ReplayedMessage, errcode.UnknownSession, "m3", "m4"}
	check := func(out []*RoomEvent, errs []error) {
		t.Helper()
		if len(out) != len(batch) || len(errs) != len(batch) {
			t.Fatalf("%d results, %d errors for %d events", len(out), len(errs), len(batch))
		}
		for i, w := range want {
			switch w := w.(type) {
			case string:
				if errs[i] != nil {
					t.Fatalf("event %d: %v", i, errs[i])
				}
				if got := bodyOf(t, out[i]); got != w {
					t.Fatalf("event %d: body %q, want %q", i, got, w)
				}
				if out[i].Sender != "@alice:example.org" || out[i].SenderDevice == nil || out[i].SenderDevice.DeviceID != a.dev {
					t.Fatalf("event %d: sender %s device %+v", i, out[i].Sender, out[i].SenderDevice)
				}
			case errcode.Code:
				if out[i] != nil {
					t.Fatalf("event %d: decrypted, want %s", i, w)
				}
				wantCode(t, errs[i], w)
			}
		}
	}
	out, errs, err := b1.m.DecryptRoomEvents(room, batch)
	if err != nil {
		t.Fatal(err)
	}
	check(out, errs)
	// Recorded as one by one: the same timeline again gives the same.
	out, errs, err = b1.m.DecryptRoomEvents(room, batch)
	if err != nil {
		t.Fatal(err)
	}
	check(out, errs)
	// And one by one after a restart.
	b1.restart()
	_, err = b1.decrypt(room, toJSON(t, replayed))
	wantCode(t, err, errcode.ReplayedMessage)
	mustDecrypt(t, b1, evs[4], "m4")
	// The unknown session was asked for, as by DecryptRoomEvent.
	found := false
	reqs, err := b1.m.OutgoingRequests()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if strings.Contains(string(r.Body), "nosuchsession") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no key request for the unknown session in %d requests", len(reqs))
	}
	// An empty batch is fine.
	if out, errs, err := b1.m.DecryptRoomEvents(room, nil); err != nil || len(out) != 0 || len(errs) != 0 {
		t.Fatalf("empty batch: %v %v %v", out, errs, err)
	}
}

func BenchmarkEncryptRoomEvent(b *testing.B) {
	_, _, a, _, _ := setup(b)
	a.share(room, members, ShareSettings{RotationPeriodMsgs: 1 << 30})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.roomEvent(room, "hello")
	}
}

func BenchmarkDecryptRoomEvent(b *testing.B) {
	benchDecrypt(b, false)
}

func BenchmarkDecryptRoomEvents(b *testing.B) {
	benchDecrypt(b, true)
}

func benchDecrypt(b *testing.B, batch bool) {
	_, _, a, b1, _ := setup(b)
	a.share(room, members, ShareSettings{RotationPeriodMsgs: 1 << 30})
	b1.sync()
	evs := make([][]byte, b.N)
	for i := range evs {
		evs[i] = a.roomEvent(room, "hello")
	}
	b.ResetTimer()
	if batch {
		for i := 0; i < b.N; i += 100 {
			_, errs, err := b1.m.DecryptRoomEvents(room, evs[i:min(i+100, b.N)])
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range errs {
				if e != nil {
					b.Fatal(e)
				}
			}
		}
		return
	}
	for _, ev := range evs {
		if _, err := b1.decrypt(room, ev); err != nil {
			b.Fatal(err)
		}
	}
}
