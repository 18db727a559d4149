package store

import "slices"

// The journal holds recent writes inside the manifest, so a small write
// costs one manifest slot write. Past these limits it is merged into the segments.
var (
	journalMaxBytes   = 64 << 10
	journalMaxEntries = 1024
)

// commit writes tx's changes as the next generation.
func (s *Store) commit(tx *Tx) error {
	base := tx.base
	next := base.clone()
	next.gen = base.gen + 1
	if s.rolledBack && next.gen <= s.floor {
		// Past every generation the mark or a slot has seen, and in the
		// slot base is not in.
		next.gen = s.floor + 1
		if next.gen%2 == base.gen%2 {
			next.gen++
		}
	}
	if tx.backup != nil {
		next.backupVersion = *tx.backup
	}
	for _, r := range tx.changes {
		inSeg, err := s.lookup(base, r.key, r.ek)
		if err != nil {
			return err
		}
		existed := inSeg != nil
		if j, ok := base.journal[r.ek]; ok {
			existed = !j.del
		}
		ks := &next.kinds[r.key.Kind]
		switch {
		case r.del && existed:
			ks.count--
		case !r.del && !existed:
			ks.count++
		}
		if r.del && inSeg == nil {
			delete(next.journal, r.ek) // nothing below to hide
		} else {
			next.journal[r.ek] = r
		}
	}
	// Segments first, each written as soon as it is built, then the
	// manifest that names them: until its slot is written, the old
	// generation is intact and new files are orphans.
	var segs []*segment
	if len(next.journal) > journalMaxEntries || next.journalSize() > journalMaxBytes {
		var err error
		if segs, err = s.flush(next); err != nil {
			s.forget() // some files may be written: look again before the next write
			return err
		}
	}
	data, err := sealManifest(s.key, s.id, next)
	if err != nil {
		return err
	}
	if err := s.writeSlotAndMark(next.gen, data); err != nil {
		s.forget()
		return err
	}
	s.rolledBack = false
	old, live := base.files(), next.files()
	s.cur, s.maxGen = next, next.gen
	for _, seg := range segs {
		s.cache.put(seg)
	}
	s.cache.retain(live)
	for name := range old {
		if !live[name] {
			s.remove(name)
		}
	}
	if len(segs) != 0 && !s.swept {
		s.swept = true
		s.collect()
	}
	return nil
}

// flush merges next's journal into new segment files, one per shard it
// touches, writes them, and empties the journal. A kind that outgrew its
// shard count is split: all its shards are rewritten.
func (s *Store) flush(next *manifest) ([]*segment, error) {
	var byKind [numKinds][]*record
	for _, r := range next.journal {
		byKind[r.key.Kind] = append(byKind[r.key.Kind], r)
	}
	var out []*segment
	for k := Kind(1); k < numKinds; k++ {
		if len(byKind[k]) == 0 {
			continue
		}
		if err := s.flushKind(next, k, byKind[k], &out); err != nil {
			return nil, err
		}
	}
	next.journal = map[string]*record{}
	return out, nil
}

func (s *Store) flushKind(next *manifest, k Kind, entries []*record, out *[]*segment) error {
	ks := &next.kinds[k]
	n := len(ks.shards)
	want := max(wantShards(k, ks.count), n)
	// The new content of each shard written: the records kept from its old
	// file (a map, so entries can replace or delete them) and new ones.
	// Journal keys are unique, so a shard with no old records needs no map.
	type content struct {
		old  map[string]*record
		adds []*record
	}
	touched := map[int]*content{}
	get := func(sh int) *content {
		if touched[sh] == nil {
			touched[sh] = &content{}
		}
		return touched[sh]
	}
	keep := func(sh int, r *record) {
		c := get(sh)
		if c.old == nil {
			c.old = map[string]*record{}
		}
		c.old[r.ek] = r
	}
	if want != n {
		for sh := 0; sh < want; sh++ {
			get(sh)
		}
		for sh := 0; sh < n; sh++ {
			recs, err := s.shardRecords(next, k, sh)
			if err != nil {
				return err
			}
			for _, r := range recs {
				keep(shardOf(r.h, want), r)
			}
		}
	} else {
		for _, r := range entries {
			sh := shardOf(r.h, n)
			if touched[sh] != nil {
				continue
			}
			get(sh)
			recs, err := s.shardRecords(next, k, sh)
			if err != nil {
				return err
			}
			for _, r := range recs {
				keep(sh, r)
			}
		}
	}
	for _, r := range entries {
		c := touched[shardOf(r.h, want)]
		switch {
		case c.old != nil && r.del:
			delete(c.old, r.ek)
		case c.old != nil:
			c.old[r.ek] = r
		case !r.del:
			c.adds = append(c.adds, r)
		}
	}
	if want != n {
		ks.shards = make([]shardRef, want)
	}
	order := make([]int, 0, len(touched))
	for sh := range touched {
		order = append(order, sh)
	}
	slices.Sort(order)
	var scratch []byte
	for _, sh := range order {
		c := touched[sh]
		recs := c.adds
		for _, r := range c.old {
			recs = append(recs, r)
		}
		ks.shards[sh] = shardRef{}
		if len(recs) == 0 {
			continue
		}
		name := segName(next.gen, k, sh)
		data, seg, err := buildSegment(s.key, s.id, name, k, sh, want, recs, &scratch)
		if err != nil {
			return err
		}
		if err := s.write(name, data); err != nil {
			return err
		}
		ks.shards[sh] = shardRef{file: name, count: uint64(len(recs))}
		*out = append(*out, seg)
	}
	total := uint64(0)
	for _, ref := range ks.shards {
		total += ref.count
	}
	if total != ks.count {
		return internal("%s: segments hold %d records, the count is %d", k, total, ks.count)
	}
	return nil
}

// wantShards is the shard count that keeps a kind's segments near their
// target size; a kind never shrinks.
func wantShards(k Kind, count uint64) int {
	n := 1
	for n < maxShards && uint64(n)*uint64(kinds[k].target) < count {
		n *= 2
	}
	return n
}
