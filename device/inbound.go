package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
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
	var w writer
	w.uint(inboundVersion)
	w.str(in.senderKey)
	w.str(in.senderEd25519)
	w.strs(in.chain)
	w.bool(in.sharedHistory)
	w.bool(in.imported)
	w.bytes(in.s.MarshalState())
	return w.b
}

func decodeInbound(ss store.InboundSession) (*inbound, error) {
	r := reader{b: ss.State}
	if v := r.uint(); v != inboundVersion && r.err == nil {
		return nil, errcode.New(errcode.BadPickle, "stored room key has format version %d", v)
	}
	in := &inbound{roomID: ss.RoomID, senderKey: r.str(), senderEd25519: r.str(), chain: r.strs(), sharedHistory: r.bool(), imported: r.bool()}
	state := r.bytes()
	if err := r.done(); err != nil {
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
	// Imported: the key was new, or better than the copy held.
	Imported ImportOutcome = iota
	// Skipped: the copy held is as good or better.
	Skipped
	// Conflicting: a key with this session id is held but the two do not
	// agree (different ratchet or different creator): the held one is kept.
	Conflicting
)

func (o ImportOutcome) String() string {
	return [...]string{"imported", "skipped", "conflict"}[o]
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

// keep stores in unless the copy held is as good. backedUp says the key came
// from the active backup version, so it need not be uploaded again.
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
	if held.senderKey != in.senderKey {
		return Conflicting, nil
	}
	merged, res, err := megolm.KeepBetter(held.s, in.s)
	if err != nil {
		return 0, err
	}
	switch res {
	case megolm.Conflict:
		return Conflicting, nil
	case megolm.KeptIncoming:
		in.s = merged
		return Imported, tx.PutInbound(in.record(backedUp))
	}
	if merged.IsVerified() != held.s.IsVerified() {
		held.s = merged
		return Skipped, tx.PutInbound(held.record(old.BackedUp))
	}
	return Skipped, nil
}
