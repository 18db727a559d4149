package store

import (
	"bytes"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/sealed"
)

// The decoders of the on-disk formats run on bytes that passed
// authentication, so only a bug or a leaked key can feed them garbage; they
// must still never panic or over-allocate, and every encoding they accept
// must be the one the encoder writes.

func FuzzManifest(f *testing.F) {
	for _, seed := range seedManifests(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeManifest(b)
		if err != nil {
			return
		}
		if again := encodeManifest(m); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
	})
}

func FuzzChunk(f *testing.F) {
	for _, seed := range seedChunks(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, recs, err := decodeChunk(b)
		if err != nil {
			return
		}
		again := &enc{}
		if encodeChunk(again, h, recs); !bytes.Equal(again.B, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again.B)
		}
	})
}

func FuzzSegmentFile(f *testing.F) {
	for _, seed := range seedSegmentFiles(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := parseSegment(b, "s")
		if err != nil {
			return
		}
		e := &enc{B: fileHeader(segmentMagic, segmentVersion)}
		e.Uvarint(uint64(len(parts)))
		for _, p := range parts {
			e.Uvarint(uint64(len(p)))
		}
		for _, p := range parts {
			e.B = append(e.B, p...)
		}
		if !bytes.Equal(e.B, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, e.B)
		}
	})
}

func FuzzKeyFile(f *testing.F) {
	f.Add(append(encodeKeyHeader(keyHeader{kdf: kdfRaw}), make([]byte, 59)...))
	f.Add(append(encodeKeyHeader(keyHeader{kdf: kdfPBKDF2, iterations: 500_000, salt: "salt"}), make([]byte, 59)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, label, rest, err := parseKeyFile(b)
		if err != nil {
			return
		}
		if again := encodeKeyHeader(h); !bytes.Equal(again, label) || !bytes.Equal(append(label, rest...), b) {
			t.Fatalf("re-encoding differs: %x vs %x", again, label)
		}
	})
}

// seedStore builds a small store whose journal and segments hold every
// kind, and returns its filesystem.
func seedStore(t testing.TB) *Store {
	smallJournal(t, 8)
	s := mustOpen(t, newMemFS(t), "seed")
	must(t, s.SetBackupVersion("1"))
	must(t, s.PutInbound(bulkSessions(20, false)...))
	must(t, s.Put(AccountKey(), []byte("account")))
	must(t, s.Put(OlmSessionKey("peer", "sid"), []byte("olm")))
	must(t, s.Put(SecretKey("m.cross_signing.master"), []byte("secret")))
	must(t, s.Delete(InboundKey(bulkSessions(1, false)[0].RoomID, bulkSessions(1, false)[0].SessionID)))
	return s
}

func seedManifests(t testing.TB) [][]byte {
	s := seedStore(t)
	m := s.cur.clone()
	out := [][]byte{encodeManifest(m), encodeManifest(newManifest())}
	m.journal[ValueKey("x").enc()] = tombstone(ValueKey("x"))
	return append(out, encodeManifest(m))
}

func seedChunks(t testing.TB) [][]byte {
	s := seedStore(t)
	var out [][]byte
	for k, ks := range s.cur.kinds {
		for sh, ref := range ks.shards {
			if ref.file == "" {
				continue
			}
			seg, err := s.segmentOf(ref)
			must(t, err)
			for c := range seg.chunks {
				recs, err := s.chunk(seg, Kind(k), sh, len(ks.shards), c)
				must(t, err)
				e := &enc{}
				encodeChunk(e, chunkHeader{Kind(k), sh, len(ks.shards), c, len(seg.chunks)}, recs)
				out = append(out, e.B)
			}
		}
	}
	return out
}

func seedSegmentFiles(t testing.TB) [][]byte {
	s := seedStore(t)
	var out [][]byte
	for name := range s.cur.files() {
		raw, err := s.read(name)
		must(t, err)
		out = append(out, raw)
	}
	return out
}

// FuzzMark: a high-water mark of any bytes is read as none, damaged or a
// generation, never a panic; only a mark sealed for this store gives one.
func FuzzMark(f *testing.F) {
	key, err := sealed.NewCipher(testKey(1))
	if err != nil {
		f.Fatal(err)
	}
	id := bytes.Repeat([]byte{3}, idSize)
	good, err := sealMark(key, id, 42)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(good))
	f.Add(bytes.Clone(good[:len(good)-1]))
	f.Add([]byte("MXSW"))
	f.Fuzz(func(t *testing.T, b []byte) {
		state, gen, err := openMark(key, id, b)
		switch state {
		case markOK:
			// Seeds are sealed in each fuzzing process anew (a random
			// nonce), so any sealing of 42 under the key is the mark.
			if err != nil || len(b) != markSize || !bytes.Equal(b[headerSize:headerSize+idSize], id) || gen != 42 {
				t.Fatalf("accepted %x as generation %d (%v)", b, gen, err)
			}
		case markDamaged:
			if err == nil {
				t.Fatal("damaged without an error")
			}
		case markNone:
			if b != nil && (len(b) != markSize || bytes.Equal(b[headerSize:headerSize+idSize], id)) {
				t.Fatalf("%x read as no mark", b)
			}
		}
	})
}
