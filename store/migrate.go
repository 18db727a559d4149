package store

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
)

// migrations[v] rewrites a store of format v as format v+1. It runs at
// open, with the lock held and the key checked, and must replace MANIFEST
// last (by rename), so a crash leaves either version. Format 1 is the
// first, so the table is empty.
var migrations = map[uint16]func(s *Store) error{}

func (s *Store) migrate(v uint16) error {
	for v != formatVersion {
		if v > formatVersion || migrations[v] == nil {
			return versionError(v)
		}
		if err := migrations[v](s); err != nil {
			return errcode.Context(err, fmt.Sprintf("migrating the store from format %d", v))
		}
		raw, err := s.read(manifestFile)
		if err != nil {
			return err
		}
		next, err := headerVersion(raw, manifestMagic, "MANIFEST")
		if err != nil {
			return err
		}
		if next != v+1 {
			return internal("migration from format %d left format %d", v, next)
		}
		v = next
	}
	return nil
}

func versionError(v uint16) error {
	if v > formatVersion {
		return errcode.New(StoreVersion, "the store has format version %d, written by a newer mxcrypto; this one reads version %d", v, formatVersion)
	}
	return errcode.New(StoreVersion, "the store has format version %d, which this mxcrypto cannot migrate to version %d", v, formatVersion)
}
