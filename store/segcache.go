package store

import (
	"cmp"
	"slices"
	"strings"
)

// segment is a segment file in memory. Files are never rewritten, so a
// segment stays valid for as long as a manifest names its file.
type segment struct {
	name   string
	sealed [][]byte    // chunks not decrypted yet
	chunks [][]*record // decrypted chunks in key order; nil until then
	size   int         // bytes held, for the cache budget
	used   uint64      // last use, for eviction
}

// segCache keeps recently used segments within a byte budget.
type segCache struct {
	m     map[string]*segment
	bytes int
	limit int
	tick  uint64
}

func (c *segCache) get(name string) *segment {
	seg := c.m[name]
	if seg != nil {
		c.tick++
		seg.used = c.tick
	}
	return seg
}

func (c *segCache) put(seg *segment) {
	if c.m == nil {
		c.m = map[string]*segment{}
	}
	c.drop(seg.name)
	c.tick++
	seg.used = c.tick
	c.m[seg.name] = seg
	c.bytes += seg.size
}

func (c *segCache) drop(name string) {
	if seg := c.m[name]; seg != nil {
		c.bytes -= seg.size
		delete(c.m, name)
	}
}

func (c *segCache) grow(seg *segment, delta int) {
	seg.size += delta
	if c.m[seg.name] == seg {
		c.bytes += delta
	}
}

// retain forgets segments the live manifest no longer names.
func (c *segCache) retain(live map[string]bool) {
	for name := range c.m {
		if !live[name] {
			c.drop(name)
		}
	}
}

// trim evicts the least recently used segments until the cache fits. It
// runs between operations, so no operation loses a segment it is using.
func (c *segCache) trim() {
	if c.bytes <= c.limit {
		return
	}
	all := make([]*segment, 0, len(c.m))
	for _, seg := range c.m {
		all = append(all, seg)
	}
	slices.SortFunc(all, func(a, b *segment) int { return cmp.Compare(a.used, b.used) })
	for _, seg := range all {
		if c.bytes <= c.limit {
			break
		}
		c.drop(seg.name)
	}
}

// segmentOf returns the segment of a shard, reading it on a miss.
func (s *Store) segmentOf(ref shardRef) (*segment, error) {
	if seg := s.cache.get(ref.file); seg != nil {
		return seg, nil
	}
	raw, err := s.read(ref.file)
	if err == errNotExist {
		return nil, damaged("segment %s is missing", ref.file)
	}
	if err != nil {
		return nil, err
	}
	parts, err := parseSegment(raw, ref.file)
	if err != nil {
		return nil, err
	}
	seg := &segment{name: ref.file, sealed: parts, chunks: make([][]*record, len(parts)), size: len(raw)}
	s.cache.put(seg)
	return seg, nil
}

// chunk decrypts chunk c of a segment that should hold shard sh of kind k.
func (s *Store) chunk(seg *segment, k Kind, sh, nShards, c int) ([]*record, error) {
	if ch := seg.chunks[c]; ch != nil {
		return ch, nil
	}
	pt, err := s.key.Open(chunkLabel(s.id, seg.name, c), seg.sealed[c])
	if err != nil {
		return nil, damaged("segment %s chunk %d does not open: %v", seg.name, c, err)
	}
	h, recs, err := decodeChunk(pt)
	if err != nil {
		return nil, err
	}
	if h != (chunkHeader{k, sh, nShards, c, len(seg.chunks)}) {
		return nil, damaged("segment %s chunk %d belongs elsewhere", seg.name, c)
	}
	size := 0
	for _, r := range recs {
		size += r.memSize()
	}
	seg.chunks[c] = recs
	s.cache.grow(seg, size-len(seg.sealed[c]))
	seg.sealed[c] = nil
	return recs, nil
}

// lookup finds k in the segments of m (not in its journal).
func (s *Store) lookup(m *manifest, k Key, ek string) (*record, error) {
	shards := m.kinds[k.Kind].shards
	if len(shards) == 0 {
		return nil, nil
	}
	h := k.hash()
	sh := shardOf(h, len(shards))
	if shards[sh].file == "" {
		return nil, nil
	}
	seg, err := s.segmentOf(shards[sh])
	if err != nil {
		return nil, err
	}
	ch, err := s.chunk(seg, k.Kind, sh, len(shards), chunkOf(h, len(seg.chunks)))
	if err != nil {
		return nil, err
	}
	if i, ok := slices.BinarySearchFunc(ch, ek, func(r *record, ek string) int { return strings.Compare(r.ek, ek) }); ok {
		return ch[i], nil
	}
	return nil, nil
}

// shardRecords returns every record of shard sh of kind k in m's segments.
func (s *Store) shardRecords(m *manifest, k Kind, sh int) ([]*record, error) {
	shards := m.kinds[k].shards
	ref := shards[sh]
	if ref.file == "" {
		return nil, nil
	}
	seg, err := s.segmentOf(ref)
	if err != nil {
		return nil, err
	}
	out := make([]*record, 0, ref.count)
	for c := range seg.chunks {
		ch, err := s.chunk(seg, k, sh, len(shards), c)
		if err != nil {
			return nil, err
		}
		out = append(out, ch...)
	}
	if uint64(len(out)) != ref.count {
		return nil, damaged("segment %s holds %d records, the manifest says %d", ref.file, len(out), ref.count)
	}
	return out, nil
}
