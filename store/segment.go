package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/mxcrypto/mxcrypto/crypto/sealed"
)

// A segment file holds the records of one shard of one kind, split into
// chunks that are sealed separately, so a lookup decrypts one chunk, not
// the file:
//
//	"MXSS" version(u16) nChunks(uvarint) len(uvarint)×nChunks sealed chunks
//
// A chunk's plaintext is kind, shard, shard count, chunk, chunk count,
// record count and the records in key order; its label names the file and
// the chunk, so chunks cannot be swapped between or within files.
const (
	segmentMagic  = "MXSS"
	maxChunks     = 1 << 10
	chunkTarget   = 32 // records per chunk
	segNameLen    = 34
	maxSegmentLen = 1 << 30
)

// segName is "s" gen "-" kind "-" shard "-" random, in fixed-width hex; the
// generation in the name tells an orphan from a file being written by
// another instance (whose generation is newer than the manifest's).
func segName(gen uint64, k Kind, shard int) string {
	var rnd [4]byte
	rand.Read(rnd[:])
	return segNameOf(gen, k, shard, rnd[:])
}

// segNameOf is the name of a segment with random part rnd (4 bytes). A
// manifest names 1,024 segments at 100,000 sessions, so this avoids fmt.
func segNameOf(gen uint64, k Kind, shard int, rnd []byte) string {
	var b [segNameLen]byte
	hexInto := func(dst []byte, v uint64) {
		for i := len(dst) - 1; i >= 0; i-- {
			dst[i] = "0123456789abcdef"[v&15]
			v >>= 4
		}
	}
	b[0] = 's'
	hexInto(b[1:17], gen)
	b[17] = '-'
	hexInto(b[18:20], uint64(k))
	b[20] = '-'
	hexInto(b[21:25], uint64(shard))
	b[25] = '-'
	hex.Encode(b[26:], rnd[:4])
	return string(b[:])
}

func tmpName(gen uint64) string { return fmt.Sprintf("t%016x-%s", gen, randHex()) }

func randHex() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func parseSegName(name string) (gen uint64, k Kind, shard int, ok bool) {
	if len(name) != segNameLen || name[0] != 's' || name[17] != '-' || name[20] != '-' || name[25] != '-' {
		return 0, 0, 0, false
	}
	g, ok1 := parseHex(name[1:17])
	kk, ok2 := parseHex(name[18:20])
	sh, ok3 := parseHex(name[21:25])
	_, ok4 := parseHex(name[26:])
	return g, Kind(kk), int(sh), ok1 && ok2 && ok3 && ok4
}

// fileGen returns the generation in a segment or temporary file name.
func fileGen(name string) (uint64, bool) {
	if len(name) == segNameLen && name[0] == 's' {
		g, _, _, ok := parseSegName(name)
		return g, ok
	}
	if len(name) == 26 && name[0] == 't' && name[17] == '-' {
		g, ok := parseHex(name[1:17])
		_, ok2 := parseHex(name[18:])
		return g, ok && ok2
	}
	return 0, false
}

// parseHex accepts lower-case hex only, so each name has one spelling.
func parseHex(s string) (uint64, bool) {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

func chunkLabel(id []byte, file string, chunk int) string {
	return "mxstore.chunk\x00" + string(id) + "\x00" + file + "\x00" + strconv.Itoa(chunk)
}

func chunksFor(n int) int {
	c := 1
	for c < maxChunks && c*chunkTarget < n {
		c *= 2
	}
	return c
}

// chunkHeader is where a chunk says it belongs.
type chunkHeader struct {
	kind                           Kind
	shard, nShards, chunk, nChunks int
}

// encodeChunk appends a chunk's plaintext to e.
func encodeChunk(e *enc, h chunkHeader, recs []*record) {
	e.U8(byte(h.kind))
	e.Uvarint(uint64(h.shard))
	e.Uvarint(uint64(h.nShards))
	e.Uvarint(uint64(h.chunk))
	e.Uvarint(uint64(h.nChunks))
	e.Uvarint(uint64(len(recs)))
	for _, r := range recs {
		r.encodeBody(e)
	}
}

// decodeChunk checks that every record is in key order and routes to the
// shard and chunk the header names.
func decodeChunk(b []byte) (chunkHeader, []*record, error) {
	d := newDec(b, "segment chunk")
	var h chunkHeader
	h.kind = Kind(d.U8())
	h.shard = int(d.UvarintMax(maxShards, "shard"))
	h.nShards = int(d.UvarintMax(maxShards, "shard count"))
	h.chunk = int(d.UvarintMax(maxChunks, "chunk"))
	h.nChunks = int(d.UvarintMax(maxChunks, "chunk count"))
	switch {
	case d.Err() != nil:
	case !h.kind.valid():
		d.Fail("unknown kind %d", h.kind)
	case !validCount(h.nShards) || h.shard >= h.nShards:
		d.Fail("shard %d of %d", h.shard, h.nShards)
	case !validCount(h.nChunks) || h.chunk >= h.nChunks:
		d.Fail("chunk %d of %d", h.chunk, h.nChunks)
	}
	n := d.Count(4, "record count")
	recs := make([]*record, 0, n)
	prev := ""
	for i := 0; i < n && d.Err() == nil; i++ {
		r := decodeRecord(d, h.kind, false)
		if d.Err() != nil {
			break
		}
		hash := r.h
		if r.ek <= prev || shardOf(hash, h.nShards) != h.shard || chunkOf(hash, h.nChunks) != h.chunk {
			d.Fail("record out of order or in the wrong chunk")
			break
		}
		prev = r.ek
		recs = append(recs, r)
	}
	if err := d.finish(); err != nil {
		return h, nil, err
	}
	return h, recs, nil
}

func validCount(n int) bool { return n >= 1 && n&(n-1) == 0 }

// parseSegment splits a segment file into its sealed chunks.
func parseSegment(raw []byte, name string) ([][]byte, error) {
	v, err := headerVersion(raw, segmentMagic, name)
	if err != nil {
		return nil, err
	}
	if v != segmentVersion {
		return nil, damaged("segment %s has format version %d, expected %d", name, v, segmentVersion)
	}
	d := newDec(raw[headerSize:], "segment "+name)
	n := int(d.UvarintMax(maxChunks, "chunk count"))
	if d.Err() == nil && !validCount(n) {
		d.Fail("%d chunks", n)
	}
	lens := make([]uint64, 0, n)
	total := uint64(0)
	for i := 0; i < n && d.Err() == nil; i++ {
		l := d.UvarintMax(maxSegmentLen, "chunk length")
		if l < sealed.Overhead {
			d.Fail("chunk %d is too short", i)
		}
		lens = append(lens, l)
		total += l
	}
	if d.Err() != nil {
		return nil, d.err()
	}
	rest := d.Rest()
	if total != uint64(len(rest)) {
		return nil, damaged("segment %s: chunks take %d bytes, the file has %d", name, total, len(rest))
	}
	out := make([][]byte, n)
	for i, l := range lens {
		out[i], rest = rest[:l:l], rest[l:]
	}
	return out, nil
}

// buildSegment encodes and seals the records of one shard. It returns the
// file and the segment already decoded, for the cache. The chunks'
// plaintexts go to scratch (reused across calls) and are sealed straight
// into a file buffer of the exact size: under wasm, every large allocation
// also pays for garbage collection, so a bulk write of 100,000 sessions
// allocates little more than its files.
func buildSegment(key *sealed.Cipher, id []byte, name string, k Kind, shard, nShards int, recs []*record, scratch *[]byte) ([]byte, *segment, error) {
	nc := chunksFor(len(recs))
	buckets := make([][]*record, nc)
	for _, r := range recs {
		c := chunkOf(r.h, nc)
		buckets[c] = append(buckets[c], r)
	}
	seg := &segment{name: name, chunks: make([][]*record, nc), sealed: make([][]byte, nc)}
	plain := &enc{B: (*scratch)[:0]}
	ends := make([]int, nc)
	for c, b := range buckets {
		sortRecords(b)
		encodeChunk(plain, chunkHeader{k, shard, nShards, c, nc}, b)
		ends[c] = len(plain.B)
		for _, r := range b {
			seg.size += r.memSize()
		}
		if b == nil {
			b = []*record{} // non-nil: decoded
		}
		seg.chunks[c] = b[:len(b):len(b)]
	}
	*scratch = plain.B

	size := headerSize + binary.MaxVarintLen64*(nc+1) + nc*sealed.Overhead + len(plain.B)
	e := &enc{B: append(make([]byte, 0, size), fileHeader(segmentMagic, segmentVersion)...)}
	e.Uvarint(uint64(nc))
	from := 0
	for _, end := range ends {
		e.Uvarint(uint64(sealed.Overhead + end - from))
		from = end
	}
	from = 0
	for c, end := range ends {
		var err error
		if e.B, err = key.AppendSeal(e.B, chunkLabel(id, name, c), plain.B[from:end]); err != nil {
			return nil, nil, err
		}
		from = end
	}
	return e.B, seg, nil
}
