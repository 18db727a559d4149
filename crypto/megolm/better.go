package megolm

import "github.com/mxcrypto/mxcrypto/errcode"

// MergeResult says what KeepBetter kept.
type MergeResult int

const (
	// KeptExisting: the existing session is at least as good (its first
	// known index is lower or equal).
	KeptExisting MergeResult = iota
	// KeptIncoming: the incoming copy reaches further back and replaces it.
	KeptIncoming
	// Conflict: the two claim the same session id but their ratchets do not
	// agree, so one of them is not the real session (a bad forward or a
	// damaged key). The existing one is kept; the caller should log this.
	Conflict
)

func (r MergeResult) String() string {
	switch r {
	case KeptExisting:
		return "kept existing"
	case KeptIncoming:
		return "kept incoming"
	case Conflict:
		return "conflict"
	}
	return "unknown"
}

// KeepBetter decides which of two copies of the same inbound session to store
// when a new copy of a known session arrives (m.room_key, a forward, a
// backup, a key import). The better copy is the one with the lower first
// known index, as it decrypts everything the other does and more — but only
// if the two really are the same session: signing keys equal and the earlier
// ratchet, advanced to the later one's first index, equal to it. Otherwise
// it is a Conflict and the existing copy is kept.
//
// The returned session is a new value; the inputs are not modified. When the
// copies agree, it is verified if either was (verification is a fact about
// the session, not about one copy). The spec also requires the incoming copy
// to come from a trusted source; that is the caller's check.
func KeepBetter(existing, incoming *InboundGroupSession) (*InboundGroupSession, MergeResult, error) {
	if existing == nil || incoming == nil {
		return nil, Conflict, errcode.New(errcode.BadInput, "KeepBetter needs two sessions")
	}
	// Snapshots, so the two locks are never held together.
	a, b := existing.clone(), incoming.clone()
	if a.public != b.public {
		return nil, Conflict, errcode.New(errcode.BadInput, "KeepBetter: sessions %s and %s are different sessions", a.SessionID(), b.SessionID())
	}
	lower, higher := a, b
	if b.initial.counter < a.initial.counter {
		lower, higher = b, a
	}
	r := lower.initial
	r.advanceTo(higher.initial.counter)
	if !r.equal(&higher.initial) {
		return a, Conflict, nil
	}
	verified := a.verified || b.verified
	if b.initial.counter < a.initial.counter {
		b.verified = verified
		return b, KeptIncoming, nil
	}
	a.verified = verified
	return a, KeptExisting, nil
}
