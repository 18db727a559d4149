package device

import (
	"errors"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
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
	// legacyReplayPrefix: the per-session JSON record of earlier builds,
	// moved into buckets when met.
	legacyReplayPrefix = "replay\x00"
	replayPrefix       = "replay\x01"
)

func replayKey(sessionID string, index uint32) store.Key {
	return store.ValueKey(replayPrefix + sessionID + "\x00" + strconv.FormatUint(uint64(index/replayBucket), 10))
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

// replayFormatKey marks a store whose replay records are all buckets.
var replayFormatKey = store.ValueKey("replay-format")

// migrateLegacyReplay moves the replay records of earlier builds (one JSON
// record per session) into buckets, once per store: Open calls it, and it
// costs one lookup when the store is already marked.
func migrateLegacyReplay(tx *store.Tx) error {
	if _, done, err := tx.Get(replayFormatKey); err != nil || done {
		return err
	}
	var legacy []store.Entry
	err := tx.Scan(store.KindValue, func(e store.Entry) error {
		if strings.HasPrefix(e.Key.A, legacyReplayPrefix) {
			legacy = append(legacy, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range legacy {
		sessionID := strings.TrimPrefix(e.Key.A, legacyReplayPrefix)
		g, err := megolm.ImportReplayGuard(e.Value)
		if err != nil {
			return damaged("replay record", err)
		}
		entries := g.Entries(sessionID)
		indices := make([]uint32, 0, len(entries))
		for i := range entries {
			indices = append(indices, i)
		}
		sort.Slice(indices, func(a, b int) bool { return indices[a] < indices[b] })
		for start := 0; start < len(indices); {
			k := replayKey(sessionID, indices[start])
			b := &replayBucketRecord{}
			end := start
			for ; end < len(indices) && indices[end]/replayBucket == indices[start]/replayBucket; end++ {
				b.offsets = append(b.offsets, indices[end]%replayBucket)
				b.events = append(b.events, entries[indices[end]])
			}
			if err := tx.Put(k, b.encode()); err != nil {
				return err
			}
			start = end
		}
		if err := tx.Delete(e.Key); err != nil {
			return err
		}
	}
	return tx.Put(replayFormatKey, []byte{replayRecordVersion})
}

var errBadReplayEntry = errors.New("replay entry has an offset past its bucket or no event id")
