package store

import (
	"slices"
	"strings"
)

// Tx is a transaction: reads see the generation it started on plus its own
// writes, which are committed together when the Update function returns.
// A Tx must not be used after that function returns.
type Tx struct {
	s       *Store
	base    *manifest
	write   bool
	done    bool
	changes map[string]*record // staged writes by key.enc()
	backup  *string            // new active backup version, if set
}

// Entry is one record returned by List and Scan.
type Entry struct {
	Key   Key
	Value []byte
}

func (tx *Tx) dirty() bool { return len(tx.changes) != 0 || tx.backup != nil }

func (tx *Tx) usable(write bool) error {
	if tx.done {
		return badInput("transaction used after it ended")
	}
	if write && !tx.write {
		return badInput("write in a read-only transaction")
	}
	return nil
}

func (tx *Tx) stage(r *record) { tx.changes[r.ek] = r }

// get returns the live record of k: staged, then journal, then segment.
func (tx *Tx) get(k Key) (*record, error) {
	ek := k.enc()
	r, ok := tx.changes[ek]
	if !ok {
		r, ok = tx.base.journal[ek]
	}
	if !ok {
		return tx.s.lookup(tx.base, k, ek)
	}
	if r.del {
		return nil, nil
	}
	return r, nil
}

// Get returns the value stored under k.
func (tx *Tx) Get(k Key) (value []byte, found bool, err error) {
	if err := tx.usable(false); err != nil {
		return nil, false, err
	}
	if err := k.check(); err != nil {
		return nil, false, err
	}
	r, err := tx.get(k)
	if r == nil || err != nil {
		return nil, false, err
	}
	return clone(r.value), true, nil
}

// Put stores value under k. Inbound Megolm sessions go through PutInbound.
func (tx *Tx) Put(k Key, value []byte) error {
	if err := tx.usable(true); err != nil {
		return err
	}
	if err := k.check(); err != nil {
		return err
	}
	if k.Kind == KindInbound {
		return badInput("store inbound group sessions with PutInbound")
	}
	if len(value) > maxValue {
		return badInput("value of %d bytes is over %d", len(value), maxValue)
	}
	tx.stage(newRecord(k, clone(value), 0))
	return nil
}

// Delete removes the record under k, if any.
func (tx *Tx) Delete(k Key) error {
	if err := tx.usable(true); err != nil {
		return err
	}
	if err := k.check(); err != nil {
		return err
	}
	tx.stage(tombstone(k))
	if k.Kind == KindInbound {
		tx.stage(tombstone(pendingKey(k)))
	}
	return nil
}

// List returns the records of kind k whose first id is a (the Olm sessions
// of one peer, say), sorted by second id. For Olm and outbound sessions
// this reads one segment; for other kinds it reads them all.
func (tx *Tx) List(k Kind, a string) ([]Entry, error) {
	if err := tx.usable(false); err != nil {
		return nil, err
	}
	if !k.valid() || k == kindPending {
		return nil, badInput("unknown record kind %d", k)
	}
	if len(a) > maxKeyPart {
		return nil, badInput("id of %d bytes is over %d", len(a), maxKeyPart)
	}
	only := -1 // every shard
	if kinds[k].byA {
		if n := len(tx.base.kinds[k].shards); n > 0 {
			only = shardOf(Key{Kind: k, A: a}.hash(), n)
		}
	}
	var recs []*record
	err := tx.scan(k, only, func(r *record) error {
		if r.key.A == a {
			recs = append(recs, r)
		}
		return nil
	})
	// Sorted as pointers: a sort over a slice of pointers shares its code
	// with every other such sort, where one over []Entry would add ~25 KB
	// of generic code to the wasm module.
	slices.SortFunc(recs, func(x, y *record) int { return strings.Compare(x.key.B, y.key.B) })
	var out []Entry
	for _, r := range recs {
		out = append(out, Entry{Key: r.key, Value: clone(r.value)})
	}
	return out, err
}

// Scan calls fn for every record of kind k, in no particular order.
func (tx *Tx) Scan(k Kind, fn func(Entry) error) error {
	if err := tx.usable(false); err != nil {
		return err
	}
	if !k.valid() || k == kindPending {
		return badInput("unknown record kind %d", k)
	}
	return tx.scan(k, -1, func(r *record) error {
		return fn(Entry{Key: r.key, Value: clone(r.value)})
	})
}

// scan calls fn for each live record of kind k: those in shard only (or
// every shard when only is -1), and every journal or staged one.
func (tx *Tx) scan(k Kind, only int, fn func(*record) error) error {
	over := tx.overlay(k)
	for sh := range tx.base.kinds[k].shards {
		if only >= 0 && sh != only {
			continue
		}
		recs, err := tx.s.shardRecords(tx.base, k, sh)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, ok := over[r.ek]; ok {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	for _, r := range sortedRecords(over) {
		if r.del {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// overlay is what the journal and the staged writes say about kind k.
func (tx *Tx) overlay(k Kind) map[string]*record {
	over := map[string]*record{}
	for ek, r := range tx.base.journal {
		if r.key.Kind == k {
			over[ek] = r
		}
	}
	for ek, r := range tx.changes {
		if r.key.Kind == k {
			over[ek] = r
		}
	}
	return over
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
