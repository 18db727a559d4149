package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/store"
)

// discardSendingRatchets runs, inside Open's transaction, when the store
// was opened after a rollback (store.Options.AllowRollback; see
// store/mark.go): the stored sending ratchets may be behind keys already
// used, so before anything is encrypted (the store refuses every other
// write until this commits):
//   - every outbound Megolm session is discarded: the next room message
//     starts a new session and shares it;
//   - every Olm sending chain is advanced past every key the lost commits
//     can have used. Each commit encrypts at most one message per Olm
//     session (EncryptToDevice and the secret-sharing answers take one
//     transaction per message; keep it so), so lost commits is the bound,
//     and the peer skips that many keys while it is within
//     olm.MaxMessageGap;
//   - where the bound is unknown (the mark was damaged) or past the gap,
//     a session whose next message starts a fresh chain anyway (it has
//     received and not answered yet) is kept, and any other is deleted:
//     the next message to that device needs a new session (NO_OLM_SESSION
//     until one is made). Dropping only the sending chain would not do:
//     the peer's answers to it could no longer be read. The peer's messages
//     on a deleted session cannot be read either, until its client makes a
//     new session (as Matrix clients do for a session that fails).
//
// Inbound state rolled back too (room keys received since, the replay
// records, one-time keys used since) is not brought back: no message key
// is used twice, but later messages may not decrypt.
func discardSendingRatchets(tx *store.Tx, lost uint64, known bool) error {
	var outbound []store.Key
	var olmEntries []store.Entry
	if err := tx.Scan(store.KindOutbound, func(e store.Entry) error {
		outbound = append(outbound, e.Key)
		return nil
	}); err != nil {
		return err
	}
	if err := tx.Scan(store.KindOlmSession, func(e store.Entry) error {
		olmEntries = append(olmEntries, e)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range outbound {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	for _, e := range olmEntries {
		os, err := decodeOlmSession(e)
		if err != nil {
			return err
		}
		switch {
		case os.s.NextMessageStartsNewChain():
			continue
		case known && lost < olm.MaxMessageGap && os.s.AdvanceSendingChain(uint32(lost)):
			err = putOlmSession(tx, os)
		default:
			err = tx.Delete(e.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
