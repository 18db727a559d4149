// Package store keeps a client's key state (account, Olm and Megolm
// sessions, fallback-key history, backup state, secrets, small values)
// encrypted in a hackpadfs filesystem: IndexedDB in browsers, memory or real
// files elsewhere. Records are opaque bytes addressed by kind and id, so the
// store does not depend on the olm and megolm packages.
//
// A store named N is the directory N:
//
//	N/KEY       key check: KDF parameters in clear, the store id sealed
//	N/MANIFEST  the live generation: segment tables, counts, backup version,
//	            and a journal of recent small writes
//	N/s…        immutable segment files named by the manifest
//	N/t…        a manifest being written (an orphan after a crash)
//
// Every commit writes any new segment files first, then the new manifest
// under a temporary name, and renames it over MANIFEST. The rename is the
// commit point (one IndexedDB transaction, one rename(2)), so a reader sees
// the old or the new generation, never a mix. Small writes only rewrite the
// manifest (their records wait in its journal); when the journal grows past
// a limit, or a bulk write overflows it, its records are merged into the
// segments they hash to, each segment file rewritten once.
//
// Each operation takes a lock named after the store (process-wide by
// default, navigator.locks through Options.Locker), re-reads MANIFEST, and
// only then reads or writes, so several instances on one store never lose
// each other's writes.
//
// Everything is sealed with crypto/sealed (XChaCha20-Poly1305) under the
// store key; labels bind MANIFEST to the store id and each segment chunk to
// its file name and position. Files start with a 4-byte magic and a
// big-endian uint16 format version in clear, so a newer format is reported
// (STORE_VERSION) before anything is decrypted. Integers are uvarints in
// their shortest form, strings are length-prefixed; see keyfile.go,
// manifest.go and segment.go for each layout.
package store
