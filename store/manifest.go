package store

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
)

const (
	// manifestVersion is the one format of the manifest slots: no earlier
	// format was released, so none is read or migrated. A segment is
	// named by its generation and random part only (kind and shard are its
	// place), so the manifest of 100,000 sessions in 1,024 segments stays
	// small: IndexedDB in Chromium stores values above 64 KiB as blobs,
	// slower to read.
	manifestVersion = 1
	segmentVersion  = 1
	manifestMagic   = "MXSM"
	headerSize      = 6 // magic and big-endian uint16 version, in clear
	slotHeaderSize  = headerSize + 8 + 4
	maxShards       = 1 << 12
	maxVersionLen   = 1024
)

// slotFile is the slot that holds generation gen: they alternate, so a
// commit never overwrites the generation it replaces.
func slotFile(gen uint64) string { return slotNames[gen%2] }

var slotNames = [2]string{"MANIFEST.0", "MANIFEST.1"}

// shardRef names the segment file holding one shard of a kind.
type shardRef struct {
	file  string // "" when the shard is empty
	count uint64
}

type kindState struct {
	count  uint64     // live records, journal included
	shards []shardRef // a power of two long, or empty before the first flush
}

// manifest is one generation of the store. Adopted manifests are never
// changed; a commit works on a clone.
type manifest struct {
	gen           uint64
	backupVersion string
	kinds         [numKinds]kindState
	journal       map[string]*record // by key.enc(); tombstones included
}

func newManifest() *manifest { return &manifest{journal: map[string]*record{}} }

func (m *manifest) clone() *manifest {
	c := *m
	for i := range c.kinds {
		c.kinds[i].shards = append([]shardRef(nil), m.kinds[i].shards...)
	}
	c.journal = make(map[string]*record, len(m.journal))
	for k, r := range m.journal {
		c.journal[k] = r
	}
	return &c
}

func (m *manifest) files() map[string]bool {
	out := map[string]bool{}
	for _, ks := range m.kinds {
		for _, r := range ks.shards {
			if r.file != "" {
				out[r.file] = true
			}
		}
	}
	return out
}

func (m *manifest) journalSize() int {
	n := 0
	for _, r := range m.journal {
		n += r.size()
	}
	return n
}

func fileHeader(magic string, version uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte(magic), version)
}

// headerVersion checks a file's magic and returns its format version.
func headerVersion(raw []byte, magic, what string) (uint16, error) {
	if len(raw) < headerSize || string(raw[:4]) != magic {
		return 0, damaged("%s is not a store file (bad header)", what)
	}
	return binary.BigEndian.Uint16(raw[4:headerSize]), nil
}

func manifestLabel(id []byte, header []byte) string {
	return "mxstore.manifest\x00" + string(id) + string(header)
}

// sealManifest builds a slot: the header, the generation (uint64) and the
// sealed length (uint32), big-endian and in clear, then the sealed
// manifest. Slots are overwritten in place, so bytes after the sealed part
// are an older, longer manifest's tail, and ignored. The generation in
// clear lets a reader see that a slot holds nothing new without opening it;
// the label binds it.
func sealManifest(key *sealed.Cipher, id []byte, m *manifest) ([]byte, error) {
	pt := encodeManifest(m)
	hdr := fileHeader(manifestMagic, manifestVersion)
	hdr = binary.BigEndian.AppendUint64(hdr, m.gen)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(pt)+sealed.Overhead))
	ct, err := key.Seal(manifestLabel(id, hdr), pt)
	if err != nil {
		return nil, err
	}
	if len(ct) != len(pt)+sealed.Overhead {
		return nil, internal("sealed manifest of %d bytes, expected %d", len(ct), len(pt)+sealed.Overhead)
	}
	return append(hdr, ct...), nil
}

// parseSlot splits a slot of the current version; ok is false for one a
// crash cut short.
func parseSlot(raw []byte) (gen uint64, hdr, body []byte, ok bool) {
	if len(raw) < slotHeaderSize {
		return 0, nil, nil, false
	}
	n := binary.BigEndian.Uint32(raw[headerSize+8:])
	if uint64(len(raw)-slotHeaderSize) < uint64(n) {
		return 0, nil, nil, false
	}
	return binary.BigEndian.Uint64(raw[headerSize:]), raw[:slotHeaderSize], raw[slotHeaderSize : slotHeaderSize+int(n)], true
}

// openSlot returns the manifest in slot i, or nil if the slot does not
// open: a write the crash of its commit tore (that commit never returned,
// and the other slot holds the generation before it).
func openSlot(key *sealed.Cipher, id, raw []byte, i uint64) (*manifest, error) {
	v, err := headerVersion(raw, manifestMagic, "MANIFEST")
	if err != nil {
		return nil, nil
	}
	if v != manifestVersion {
		return nil, versionError(v)
	}
	gen, hdr, body, ok := parseSlot(raw)
	if !ok || gen%2 != i {
		return nil, nil
	}
	pt, err := key.Open(manifestLabel(id, hdr), body)
	if err != nil {
		return nil, nil
	}
	m, err := decodeManifest(pt)
	if err != nil {
		return nil, err
	}
	if m.gen != gen {
		return nil, damaged("%s says generation %d outside, %d inside", slotFile(i), gen, m.gen)
	}
	return m, nil
}

// versionError reports a store file of a format this mxcrypto does not
// read.
func versionError(v uint16) error {
	if v > manifestVersion {
		return errcode.New(StoreVersion, "the store has format version %d, written by a newer mxcrypto; this one reads version %d", v, manifestVersion)
	}
	return errcode.New(StoreVersion, "the store has format version %d, which this mxcrypto does not read (it reads version %d)", v, manifestVersion)
}

// encodeManifest: gen, backup version, then the non-empty kinds (kind,
// count, shard count, shards), then the journal (kind, op, record) in key
// order. A shard is its record count and, when it has records, its
// segment's generation and random part.
func encodeManifest(m *manifest) []byte {
	e := &enc{B: make([]byte, 0, 256+m.journalSize())}
	e.Uvarint(m.gen)
	e.String(m.backupVersion)
	n := 0
	for _, ks := range m.kinds {
		if ks.count != 0 || len(ks.shards) != 0 {
			n++
		}
	}
	e.Uvarint(uint64(n))
	for k, ks := range m.kinds {
		if ks.count == 0 && len(ks.shards) == 0 {
			continue
		}
		e.U8(byte(k))
		e.Uvarint(ks.count)
		e.Uvarint(uint64(len(ks.shards)))
		for _, r := range ks.shards {
			e.Uvarint(r.count)
			if r.count != 0 {
				g, _, _, _ := parseSegName(r.file)
				e.Uvarint(g)
				e.B, _ = hex.AppendDecode(e.B, []byte(r.file[26:])) // checked hex: segNameOf built it
			}
		}
	}
	e.Uvarint(uint64(len(m.journal)))
	for _, r := range sortedRecords(m.journal) {
		e.U8(byte(r.key.Kind))
		if r.del {
			e.U8(0)
		} else {
			e.U8(1)
		}
		r.encodeBody(e)
	}
	return e.B
}

func decodeManifest(b []byte) (*manifest, error) {
	d := newDec(b, "MANIFEST")
	m := newManifest()
	m.gen = d.Uvarint()
	m.backupVersion = d.StringMax(maxVersionLen, "backup version")
	nk := d.Count(3, "kind count")
	last := 0
	for i := 0; i < nk && d.Err() == nil; i++ {
		k := Kind(d.U8())
		if !k.valid() || int(k) <= last {
			d.Fail("kind %d out of order or unknown", k)
			break
		}
		last = int(k)
		ks := &m.kinds[k]
		ks.count = d.Uvarint()
		ns := int(d.UvarintMax(maxShards, "shard count"))
		if ns&(ns-1) != 0 {
			d.Fail("%s: %d shards is not a power of two", k, ns)
		}
		if ks.count == 0 && ns == 0 {
			d.Fail("%s: empty entry", k)
		}
		for sh := 0; sh < ns && d.Err() == nil; sh++ {
			var r shardRef
			if r.count = d.Uvarint(); r.count != 0 {
				// The name is built from its place: only its generation can be wrong.
				g := d.Uvarint()
				rnd := d.Fixed(4, "segment name")
				if d.Err() == nil && g > m.gen {
					d.Fail("%s shard %d: segment of generation %d in generation %d", k, sh, g, m.gen)
				}
				if d.Err() == nil {
					r.file = segNameOf(g, k, sh, rnd)
				}
			}
			ks.shards = append(ks.shards, r)
		}
	}
	nj := d.Count(4, "journal length")
	prev := ""
	for i := 0; i < nj && d.Err() == nil; i++ {
		k := Kind(d.U8())
		op := d.U8()
		if d.Err() == nil && (!k.valid() || op > 1) {
			d.Fail("journal entry of kind %d, op %d", k, op)
			break
		}
		r := decodeRecord(d, k, op == 0)
		if d.Err() != nil {
			break
		}
		if r.ek <= prev {
			d.Fail("journal out of order")
			break
		}
		prev = r.ek
		m.journal[r.ek] = r
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

func sortedRecords(m map[string]*record) []*record {
	out := make([]*record, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

func sortRecords(rs []*record) {
	slices.SortFunc(rs, func(a, b *record) int { return strings.Compare(a.ek, b.ek) })
}
