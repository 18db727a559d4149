package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"github.com/mxcrypto/mxcrypto/store"
)

// inbound is a stored Megolm inbound session with what we know of where it
// came from.
type inbound struct {
	roomID string
	s      *megolm.InboundGroupSession
	// senderKey / senderEd25519: the creator's device keys (Olm-proven for
	// m.room_key, claimed for forwards, backups and imports).
	senderKey, senderEd25519 string
	chain                    []string
	sharedHistory            bool
	// imported: not received from its creator over Olm (forwarded,
	// restored from backup, imported from a file).
	imported bool
}

const inboundVersion = 1

func (in *inbound) encode() []byte {
	var w bincodec.Writer
	w.Uvarint(inboundVersion)
	w.String(in.senderKey)
	w.String(in.senderEd25519)
	w.Strings(in.chain)
	w.Bool(in.sharedHistory)
	w.Bool(in.imported)
	w.Bytes(in.s.MarshalState())
	return w.B
}

func decodeInbound(ss store.InboundSession) (*inbound, error) {
	r := bincodec.NewReader(ss.State, "inbound session record")
	if v := r.Uvarint(); v != inboundVersion && r.Err() == nil {
		return nil, errcode.New(errcode.BadPickle, "stored room key has format version %d", v)
	}
	in := &inbound{roomID: ss.RoomID, senderKey: r.String("sender key"), senderEd25519: r.String("sender ed25519 key"), chain: r.Strings("forwarding chain"), sharedHistory: r.Bool(), imported: r.Bool()}
	state := r.Bytes("session state")
	if err := r.Finish(); err != nil {
		return nil, damaged("room key", err)
	}
	s, err := megolm.UnmarshalInboundState(state)
	if err != nil {
		return nil, errcode.Context(err, "stored room key")
	}
	in.s = s
	return in, nil
}

func (in *inbound) record(backedUp bool) store.InboundSession {
	return store.InboundSession{RoomID: in.roomID, SessionID: in.s.SessionID(), FirstKnownIndex: in.s.FirstKnownIndex(), State: in.encode(), BackedUp: backedUp}
}

// ImportOutcome says what happened to one incoming room key.
type ImportOutcome int

const (
	// Imported: the key was new, or better than the copy held (it reaches
	// further back, or its origin is proven where the held one's was only
	// claimed).
	Imported ImportOutcome = iota
	// Skipped: the copy held is as good or better.
	Skipped
)

func (o ImportOutcome) String() string {
	return [...]string{"imported", "skipped"}[o]
}

// keepRecord is keep for an encoded session: a new one is stored without
// decoding it.
func keepRecord(tx *store.Tx, rec store.InboundSession, backedUp bool) (ImportOutcome, error) {
	_, found, err := tx.GetInbound(rec.RoomID, rec.SessionID)
	if err != nil {
		return 0, err
	}
	if !found {
		rec.BackedUp = backedUp
		return Imported, tx.PutInbound(rec)
	}
	in, err := decodeInbound(rec)
	if err != nil {
		return 0, err
	}
	return keep(tx, in, backedUp)
}

// keep merges an incoming copy of a room key with the copy held, if any,
// and stores the result when it differs. backedUp says the incoming copy
// came from the active backup version, so it need not be uploaded again.
//
// Two things are merged, each keeping the better:
//
//   - The ratchet: the copy reaching further back (megolm.KeepBetter), but
//     only if the two ratchets connect; otherwise the incoming copy is
//     refused with ROOM_KEY_CONFLICT.
//   - The provenance (creator keys, forwarding chain, shared_history and
//     the imported flag): a copy received from its creator over Olm
//     (imported false, keys proven) beats one that was forwarded, restored
//     or imported (keys only claimed); between two of the same kind the held
//     one stays unless the incoming one brings the better ratchet.
//
// Provenance is kept for the whole session, not per index range, because it
// is a fact about the session's Ed25519 signing key, not about a ratchet
// copy: every message is signed with that key, Decrypt checks the signature,
// and the Olm-received m.room_key bound that key (it is the session id) to
// the creator's device. A message below the proven copy's first index that
// decrypts with a forwarded ratchet still carries the creator's signature,
// so it is as authentic as the others. matrix-sdk-crypto merges the same way
// (Store::merge_received_group_session: the better ratchet with the
// stronger sender data).
//
// A copy whose creator keys disagree with a held Olm-proven copy is refused
// with ROOM_KEY_CONFLICT: its sender would re-attribute the session's
// events. So is one whose claimed keys disagree with another claimed copy
// (nothing says which is right; the held one stays). An Olm-proven copy
// replaces claimed keys, if its ratchet connects.
func keep(tx *store.Tx, in *inbound, backedUp bool) (ImportOutcome, error) {
	old, found, err := tx.GetInbound(in.roomID, in.s.SessionID())
	if err != nil {
		return 0, err
	}
	if !found {
		return Imported, tx.PutInbound(in.record(backedUp))
	}
	held, err := decodeInbound(old)
	if err != nil {
		return 0, err
	}
	sameCreator := held.senderKey == in.senderKey && held.senderEd25519 == in.senderEd25519
	if !sameCreator && (held.proven() || !in.proven()) {
		return 0, errcode.New(KeyConflict, "room key %s claims creator %s / %s, but the copy held (%s) says %s / %s: refused, the held copy kept",
			in.s.SessionID(), in.senderKey, in.senderEd25519, held.origin(), held.senderKey, held.senderEd25519)
	}
	merged, res, err := megolm.KeepBetter(held.s, in.s)
	if err != nil {
		return 0, err
	}
	if res == megolm.Conflict {
		return 0, errcode.New(KeyConflict, "room key %s: the copy received does not connect to the ratchet held (a bad forward or a damaged key): refused, the held copy kept", in.s.SessionID())
	}
	betterRatchet := res == megolm.KeptIncoming
	betterOrigin := in.proven() && !held.proven()
	if !betterRatchet && !betterOrigin {
		if merged.IsVerified() != held.s.IsVerified() {
			held.s = merged
			return Skipped, tx.PutInbound(held.record(old.BackedUp))
		}
		return Skipped, nil
	}
	meta := held
	if betterOrigin || (betterRatchet && in.proven() == held.proven()) {
		meta = in
	}
	out := *meta
	out.s = merged
	// The backup holds the incoming copy only if that is what is stored now.
	stored := backedUp && meta == in && betterRatchet
	return Imported, tx.PutInbound(out.record(stored))
}

// proven: the creator keys came over Olm from the creator itself.
func (in *inbound) proven() bool { return !in.imported }

func (in *inbound) origin() string {
	if in.proven() {
		return "received from its creator over Olm"
	}
	return "forwarded, restored or imported"
}
