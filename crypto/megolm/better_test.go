package megolm

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestKeepBetter(t *testing.T) {
	out := NewOutboundGroupSession()
	at0 := out.InboundSession() // verified
	encryptN(t, out, 10)
	key10, _ := out.SessionKey()
	at10, _ := NewInboundGroupSession(key10) // verified
	exp0, _ := at0.Export(0)
	at0u, _ := ImportInboundGroupSession(exp0) // unverified
	exp5, _ := at0.Export(5)
	at5u, _ := ImportInboundGroupSession(exp5)

	check := func(name string, existing, incoming *InboundGroupSession, wantRes MergeResult, wantFirst uint32, wantVerified bool) {
		t.Helper()
		eSnap, iSnap := snapshot(existing), snapshot(incoming)
		got, res, err := KeepBetter(existing, incoming)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res != wantRes || got.FirstKnownIndex() != wantFirst || got.IsVerified() != wantVerified {
			t.Fatalf("%s: %s, first %d, verified %v; want %s, %d, %v", name, res, got.FirstKnownIndex(), got.IsVerified(), wantRes, wantFirst, wantVerified)
		}
		if got == existing || got == incoming {
			t.Fatalf("%s: returned one of the inputs", name)
		}
		if snapshot(existing) != eSnap || snapshot(incoming) != iSnap {
			t.Fatalf("%s: inputs modified", name)
		}
	}
	check("lower incoming", at10, at0, KeptIncoming, 0, true)
	check("higher incoming", at0, at10, KeptExisting, 0, true)
	check("same index", at0, at0u, KeptExisting, 0, true)
	check("same index, verified incoming", at0u, at0, KeptExisting, 0, true)
	check("unverified lower incoming, verified existing", at10, at5u, KeptIncoming, 5, true)
	check("unverified both", at5u, at0u, KeptIncoming, 0, false)

	// Same session id, different ratchet: a conflict, existing kept.
	fake := at0.clone()
	fake.initial.parts[2][0] ^= 1
	fake.latest = fake.initial
	check("conflict, lower incoming", at10, fake, Conflict, 10, true)
	check("conflict, higher incoming", fake, at10, Conflict, 0, true)
	fake5 := at5u.clone()
	fake5.initial.counter = 6 // ratchet of index 5 claimed as index 6
	check("conflict, same key other index", at0u, fake5, Conflict, 0, false)

	other := NewOutboundGroupSession().InboundSession()
	_, _, err := KeepBetter(at0, other)
	wantCode(t, "different sessions", err, errcode.BadInput)
	_, _, err = KeepBetter(nil, at0)
	wantCode(t, "nil", err, errcode.BadInput)

	if KeptExisting.String() != "kept existing" || MergeResult(9).String() != "unknown" {
		t.Fatal("String")
	}
}
