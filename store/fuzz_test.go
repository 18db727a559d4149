package store

import (
	"bytes"
	"testing"
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
		for _, v := range []uint16{2, 3} {
			m, err := decodeManifest(b, v)
			if err != nil {
				continue
			}
			if again := encodeManifest(m, v); !bytes.Equal(again, b) {
				t.Fatalf("version %d: re-encoding differs:\n%x\n%x", v, b, again)
			}
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
		if encodeChunk(again, h, recs); !bytes.Equal(again.b, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again.b)
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
		e := &enc{b: fileHeader(segmentMagic, segmentVersion)}
		e.uv(uint64(len(parts)))
		for _, p := range parts {
			e.uv(uint64(len(p)))
		}
		for _, p := range parts {
			e.b = append(e.b, p...)
		}
		if !bytes.Equal(e.b, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, e.b)
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
	out := [][]byte{encodeManifest(m, 3), encodeManifest(newManifest(), 3), encodeManifest(m, 2)}
	m.journal[ValueKey("x").enc()] = tombstone(ValueKey("x"))
	return append(out, encodeManifest(m, 3), encodeManifest(m, 2))
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
				out = append(out, e.b)
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
