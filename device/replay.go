package device

import (
	"errors"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"strconv"
	"unicode/utf8"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// Replay records: which event first decrypted at each message index of a
// session (megolm.ReplayGuard's rule, kept in the store so it holds across
// restarts). They are kept in buckets of replayBucket consecutive indices,
// each a small binary record, so a decryption reads and rewrites one bucket
// whatever the session's length. (One canonical-JSON record per session,
// parsed and rewritten on every message, made each decryption cost grow
// with the messages the session had seen.)
//
// A bucket: version, then (index − first index of the bucket, event id)
// pairs in the order they were recorded.
const (
	replayBucket        = 64
	replayRecordVersion = 1
)

// replayKey is the key of the bucket that holds index: the session id, then
// the bucket's number in decimal.
func replayKey(sessionID string, index uint32) store.Key {
	return store.ReplayKey(sessionID, strconv.FormatUint(uint64(index/replayBucket), 10))
}

// replayBucketRecord is one decoded bucket.
type replayBucketRecord struct {
	offsets []uint32
	events  []string
}

func decodeReplayBucket(raw []byte) (*replayBucketRecord, error) {
	r := bincodec.NewReader(raw, "replay record")
	if v := r.Uvarint(); r.Err() == nil && v != replayRecordVersion {
		return nil, errcode.New(errcode.BadPickle, "stored replay record has format version %d", v)
	}
	b := &replayBucketRecord{}
	for r.Err() == nil && r.Len() > 0 {
		off := r.Uvarint()
		ev := r.String("event id")
		if r.Err() == nil && (off >= replayBucket || ev == "") {
			return nil, damaged("replay record", errBadReplayEntry)
		}
		b.offsets = append(b.offsets, uint32(off))
		b.events = append(b.events, ev)
	}
	if err := r.Finish(); err != nil {
		return nil, damaged("replay record", err)
	}
	return b, nil
}

func (b *replayBucketRecord) encode() []byte {
	var w bincodec.Writer
	w.Uvarint(replayRecordVersion)
	for i, off := range b.offsets {
		w.Uvarint(uint64(off))
		w.String(b.events[i])
	}
	return w.B
}

// lookup returns the event recorded at offset, if any.
func (b *replayBucketRecord) lookup(off uint32) (string, bool) {
	for i, o := range b.offsets {
		if o == off {
			return b.events[i], true
		}
	}
	return "", false
}

// checkReplay records that eventID decrypted at (sessionID, index), or
// refuses a different event at an index already used (REPLAYED_MESSAGE);
// the same event again is fine.
func checkReplay(tx *store.Tx, sessionID string, index uint32, eventID string) error {
	if eventID == "" || !utf8.ValidString(eventID) {
		return badInput("the event id must be a non-empty UTF-8 string")
	}
	k := replayKey(sessionID, index)
	raw, found, err := tx.Get(k)
	if err != nil {
		return err
	}
	b := &replayBucketRecord{}
	if found {
		if b, err = decodeReplayBucket(raw); err != nil {
			return err
		}
	}
	off := index % replayBucket
	if prev, ok := b.lookup(off); ok {
		if prev != eventID {
			return errcode.New(errcode.ReplayedMessage, "message index %d of session %s was already used by event %s, now again by %s: possible replay attack", index, sessionID, prev, eventID)
		}
		return nil
	}
	b.offsets = append(b.offsets, off)
	b.events = append(b.events, eventID)
	return tx.Put(k, b.encode())
}

var errBadReplayEntry = errors.New("replay entry has an offset past its bucket or no event id")
