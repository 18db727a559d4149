// Package store keeps a client's key state (account, Olm and Megolm
// sessions, fallback-key history, backup state, secrets, small values)
// encrypted in a hackpadfs filesystem: IndexedDB in browsers, memory or real
// files elsewhere. Records are opaque bytes addressed by kind and id, so the
// store does not depend on the olm and megolm packages.
//
// A store named N is the directory N:
//
//	N/KEY         key check: KDF parameters in clear, the store id sealed
//	N/MANIFEST.0  the manifests of even and odd generations: segment
//	N/MANIFEST.1  tables, counts, backup version, and a journal of recent
//	              small writes
//	N/s…          immutable segment files named by the manifest
//	N/t…          KEY being written (an orphan after a crash)
//	.mxmark-N     beside N: the high-water mark, the newest generation a
//	              commit returned from (see mark.go)
//
// Every commit writes any new segment files first, then the new manifest
// into the slot of its generation, overwriting in place the generation
// before the one it replaces, then the high-water mark. Writing the slot is
// the commit point: one IndexedDB transaction for a small commit (slot and
// mark together). A crash that tears the slot leaves it unreadable (it is
// sealed, its length in its header); a slot newer than the mark is such a
// write, whose commit never returned, and readers take the generation
// before. A slot the mark has reached that does not open is damage
// (STORE_CORRUPT), and a store older than its mark was rolled back
// (STORE_ROLLED_BACK): neither opens without Options.AllowRollback.
// Small writes only rewrite the manifest (their records wait in its
// journal); when the journal grows past a limit, or a bulk write overflows
// it, its records are merged into the segments they hash to, each segment
// file rewritten once.
//
// Each operation takes a lock named after the store (process-wide by
// default, navigator.locks through Options.Locker) and looks for a newer
// generation before it reads or writes, so several instances on one store
// never lose each other's writes. That costs one slot read: another
// instance's next commit can only be in the other slot, and the generation
// is in the slot's clear header. Hold keeps the lock for a run of
// operations, which then neither lock nor look again (hold.go); a store
// only this process can reach (Options.InProcess, the memory backend)
// compares a generation kept in memory instead of reading the slot
// (inprocess.go).
//
// Everything is sealed with crypto/sealed (XChaCha20-Poly1305) under the
// store key; labels bind the manifest (and its clear header) to the store
// id and each segment chunk to its file name and position. Files start with a 4-byte magic and a
// big-endian uint16 format version in clear, so a newer format is reported
// (STORE_VERSION) before anything is decrypted. Integers are uvarints in
// their shortest form, strings are length-prefixed; see keyfile.go,
// manifest.go and segment.go for each layout.
package store
