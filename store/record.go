package store

import "math"

// record is one stored value. Records are never changed once built: a
// write makes a new one, so segments and journals can share them.
type record struct {
	key   Key
	ek    string // key.enc()
	h     uint64 // key.hash()
	value []byte
	index uint32 // inbound sessions: first known message index
	del   bool   // a journal tombstone
}

func newRecord(k Key, value []byte, index uint32) *record {
	return &record{key: k, ek: k.enc(), h: k.hash(), value: value, index: index}
}

func tombstone(k Key) *record { return &record{key: k, ek: k.enc(), h: k.hash(), del: true} }

// size approximates the encoded size of r.
func (r *record) size() int { return 8 + len(r.key.A) + len(r.key.B) + len(r.value) }

// memSize approximates the memory r takes (the struct, ek, strings).
func (r *record) memSize() int { return 128 + 2*(len(r.key.A)+len(r.key.B)) + len(r.value) }

// encodeBody writes what follows the kind (and, in a journal, the op).
func (r *record) encodeBody(e *enc) {
	e.String(r.key.A)
	e.String(r.key.B)
	if !r.del {
		e.Bytes(r.value)
		e.Uvarint(uint64(r.index))
	}
}

// decodeRecord reads a record of kind k; del says whether it is a tombstone.
func decodeRecord(d dec, k Kind, del bool) *record {
	key := Key{Kind: k, A: d.StringMax(maxKeyPart, "id"), B: d.StringMax(maxKeyPart, "id")}
	if d.Err() != nil {
		return nil
	}
	if err := key.checkParts(); err != nil {
		d.Fail("%v", err)
		return nil
	}
	if del {
		return tombstone(key)
	}
	value := d.bytes(maxValue, "value")
	index := d.UvarintMax(math.MaxUint32, "first known index")
	if d.Err() != nil {
		return nil
	}
	if index != 0 && k != KindInbound {
		d.Fail("%s with a message index", k)
		return nil
	}
	if k == kindPending && len(value) != 0 {
		d.Fail("pending-backup entry with a value")
		return nil
	}
	return newRecord(key, value, uint32(index))
}
