package store

import (
	"bytes"
	"encoding/binary"
	"path"

	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// The high-water mark is the newest generation of a store that a commit
// has returned from. It lives outside the store's directory, in the file
// .mxmark-N beside the directory N (in IndexedDB, a record of the same
// database outside N/), so a copy of the directory restored over a newer
// one (a backup, a sync tool, a snapshot of the store alone) does not
// carry the mark back with it:
//
//	"MXSW" version(u16) storeID(16) sealed(generation as big-endian u64)
//
// sealed under the store key with the clear part as label.
//
// Open compares the newest manifest with the mark. Older is
// STORE_ROLLED_BACK: keys the store has forgotten using may be used again.
// Options.AllowRollback opens such a store, and the store then refuses
// every write until Recover commits the caller's repair (device.Open
// discards the outbound Megolm sessions and every Olm sending chain, so no
// message key is used twice) as a generation past the mark.
//
// The mark also tells damage from a torn write. A slot that claims a
// generation the mark has reached, and does not open, was committed and is
// now damaged: STORE_CORRUPT. One newer than the mark belongs to a commit
// that never returned (a crash tore it), and the slot before it is used.
// Where whole-file writes are atomic (IndexedDB, where slot and mark are
// written in one transaction) no slot is ever torn, so any newest slot that
// does not open is damage.
//
// What the mark cannot do, and what damage to it does:
//   - It is sealed and bound to the store id: without the store key it
//     cannot be forged or raised, and a mark of another store is not taken
//     for this one's.
//   - A damaged mark (it does not open, or its header is bad) is
//     STORE_CORRUPT: the store cannot tell whether it was rolled back.
//     AllowRollback opens it and treats it as rolled back.
//   - Deleting the mark, replacing it with an older copy of itself, or
//     damaging its store id (then it reads as another store's) lowers or
//     removes the bar: whoever can also restore the store then rolls it
//     back unseen. So can whoever restores the whole origin's storage (a
//     browser profile, a disk image) at once. The mark detects accidents
//     and partial restores; it is not a defence against an attacker who
//     controls all of the storage, which only a counter held elsewhere (a
//     server, a TPM) could be.
//   - A missing mark (a store from before marks, or a lost one) is written
//     at open with the generation found.
const (
	markMagic   = "MXSW"
	markVersion = 1
	markSize    = headerSize + idSize + sealed.Overhead + 8
	markPrefix  = ".mxmark-"
)

// markFile is the mark's path relative to the store directory: beside it.
func (s *Store) markFile() string { return "../" + markPrefix + path.Base(s.name) }

func markLabel(hdr []byte) string { return "mxstore.mark\x00" + string(hdr) }

func sealMark(key *sealed.Cipher, id []byte, gen uint64) ([]byte, error) {
	hdr := append(fileHeader(markMagic, markVersion), id...)
	ct, err := key.Seal(markLabel(hdr), binary.BigEndian.AppendUint64(nil, gen))
	if err != nil {
		return nil, err
	}
	return append(hdr, ct...), nil
}

// markState is what the mark says of this store.
type markState int

const (
	markNone    markState = iota // missing, or another store's
	markOK                       // gen is the mark
	markDamaged                  // present and this store's, but does not open
)

// openMark reads raw (nil: no mark file) as this store's mark.
func openMark(key *sealed.Cipher, id, raw []byte) (markState, uint64, error) {
	if raw == nil {
		return markNone, 0, nil
	}
	v, err := headerVersion(raw, markMagic, "high-water mark")
	if err != nil {
		return markDamaged, 0, err
	}
	if v != markVersion {
		return markDamaged, 0, errcode.New(StoreVersion, "the store's high-water mark has format version %d; this mxcrypto reads version %d", v, markVersion)
	}
	if len(raw) != markSize {
		return markDamaged, 0, damaged("the high-water mark is %d bytes, not %d", len(raw), markSize)
	}
	hdr := raw[:headerSize+idSize]
	if !bytes.Equal(hdr[headerSize:], id) {
		return markNone, 0, nil // left by a deleted store of the same name
	}
	pt, err := key.Open(markLabel(hdr), raw[len(hdr):])
	if err != nil || len(pt) != 8 {
		return markDamaged, 0, damaged("the high-water mark does not open with the store key")
	}
	return markOK, binary.BigEndian.Uint64(pt), nil
}

// loadMark reads the mark at open.
func (s *Store) loadMark() error {
	raw, err := s.read(s.markFile())
	if err == errNotExist {
		raw, err = nil, nil
	}
	if err != nil {
		return err
	}
	state, gen, err := openMark(s.key, s.id, raw)
	s.mark, s.markGen = state, gen
	if state == markDamaged && s.allowRollback && errcode.Of(err) == StoreCorrupt {
		return nil // the open goes on, and counts as a rollback
	}
	return err
}

// atomicWrites reports whether the backend writes a whole file in one
// atomic step, so that no file is ever torn.
func (s *Store) atomicWrites() bool {
	_, ok := s.fsys.(wholeFileWriter)
	return ok
}

// writeMark records gen as the mark, atomically: in one step with the
// slot where the backend allows it (writeSlotAndMark), else by a rename
// after the slot is written, so a crash leaves the mark at the generation
// before, never past the slot.
func (s *Store) writeMark(gen uint64) error {
	data, err := sealMark(s.key, s.id, gen)
	if err != nil {
		return err
	}
	mf := s.markFile()
	if s.inProcess {
		// Files that end with the process are never seen half written:
		// the mark is overwritten in place, without a file to rename.
		err = s.write(mf, data)
	} else {
		err = s.replace(mf, mf+".tmp", data)
	}
	if err != nil {
		return err
	}
	s.mark, s.markGen = markOK, gen
	return nil
}

// writeSlotAndMark commits a manifest: its slot, then the mark.
func (s *Store) writeSlotAndMark(gen uint64, slot []byte) error {
	if w, ok := s.fsys.(wholeFileWriter); ok {
		mark, err := sealMark(s.key, s.id, gen)
		if err != nil {
			return err
		}
		if err := w.writeWholeFiles([]string{s.path(slotFile(gen)), s.path(s.markFile())}, [][]byte{slot, mark}); err != nil {
			return fsFailure(err, "writing %s and the high-water mark", slotFile(gen))
		}
		s.mark, s.markGen = markOK, gen
		s.published(gen)
		return nil
	}
	if err := s.writeSlot(gen, slot); err != nil {
		return err
	}
	s.published(gen) // the slot is the commit point; the mark follows
	return s.writeMark(gen)
}

// RolledBack reports whether the store was opened with AllowRollback in a
// state older than its mark (or with a damaged mark or newest slot), and
// Recover has not run yet. Until it does, every write is refused.
func (s *Store) RolledBack() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rolledBack
}

// RollbackGap is, while RolledBack, how many commits the store lost: the
// mark's generation less the one opened. Each commit is at most one
// message per sending ratchet, so it bounds how far a ratchet may have
// gone past its stored state. known is false when the mark was damaged
// or missing.
func (s *Store) RollbackGap() (commits uint64, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.rolledBack || s.mark != markOK || s.cur == nil || s.markGen < s.cur.gen {
		return 0, false
	}
	return s.markGen - s.cur.gen, true
}

// Recover is Update for a store opened after a rollback: fn repairs what
// the rollback broke (the device discards its sending ratchets), and its
// changes are committed, even if there are none, as a generation past
// the mark, which clears RolledBack. On a store that was not rolled back
// it is Update.
func (s *Store) Recover(fn func(tx *Tx) error) error { return s.do(true, true, nil, fn) }
