package store

import (
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

// Format 1 kept the manifest in one file, MANIFEST, replaced on every
// commit by writing a temporary file and renaming it: three IndexedDB
// write transactions for the smallest commit. Format 2 writes the same
// manifest encoding into the slot of its generation in place, one
// transaction. Segments did not change.
const legacyManifest = "MANIFEST"

// migrateV1 copies a format-1 MANIFEST into its slot, then removes it. A
// crash before the slot is complete leaves no slot that opens, so the next
// open migrates again; after it, the slot is used and MANIFEST ignored.
func (s *Store) migrateV1(raw []byte) error {
	v, err := headerVersion(raw, manifestMagic, "MANIFEST")
	if err != nil {
		return err
	}
	if v != 1 {
		return versionError(v)
	}
	pt, err := s.key.Open(manifestLabel(s.id, raw[:headerSize]), raw[headerSize:])
	if err != nil {
		return damaged("MANIFEST does not open with the store key: %v", err)
	}
	m, err := decodeManifest(pt, 2) // format 1's manifest encoding is version 2's
	if err != nil {
		return errcode.Context(err, "migrating the store from format 1")
	}
	data, err := sealManifest(s.key, s.id, m)
	if err != nil {
		return err
	}
	if err := s.writeSlot(m.gen, data); err != nil {
		return err
	}
	s.remove(legacyManifest) // if this fails, the first flush removes it
	return nil
}

func versionError(v uint16) error {
	if v > manifestVersion {
		return errcode.New(StoreVersion, "the store has format version %d, written by a newer mxcrypto; this one reads version %d", v, manifestVersion)
	}
	return errcode.New(StoreVersion, "the store has format version %d, which this mxcrypto cannot migrate to version %d", v, manifestVersion)
}
