package store

import "github.com/mxcrypto/mxcrypto/crypto/errcode"

// Codes of the store's own failures, next to errcode's (WRONG_KEY for a
// wrong store key, BAD_INPUT for bad calls).
const (
	// Closed: the store was closed.
	Closed errcode.Code = "CLOSED"
	// StoreFailure: the filesystem failed (IndexedDB missing, quota
	// exceeded, a transaction aborted); the cause is wrapped.
	StoreFailure errcode.Code = "STORE_FAILURE"
	// StoreVersion: the store's format is newer than this mxcrypto reads,
	// or one it does not read.
	StoreVersion errcode.Code = "STORE_VERSION"
	// StoreCorrupt: a store file is damaged: it fails authentication under
	// the right key, or does not decode, or one the manifest names is
	// missing. The store never falls back to an older generation for it.
	StoreCorrupt errcode.Code = "STORE_CORRUPT"
	// StoreRolledBack: the store is older than the newest generation its
	// high-water mark has seen (an older copy was restored), or it went
	// back while open. Options.AllowRollback opens it anyway, with the
	// recovery that rule requires (see mark.go).
	StoreRolledBack errcode.Code = "STORE_ROLLED_BACK"
)

func errClosed() error { return errcode.New(Closed, "the store is closed") }

func fsFailure(err error, format string, args ...any) error {
	return errcode.Wrap(StoreFailure, err, format, args...)
}

func damaged(format string, args ...any) error {
	e := errcode.New(StoreCorrupt, format, args...)
	e.Message = "store is damaged: " + e.Message
	return e
}

func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

func internal(format string, args ...any) error {
	return errcode.New(errcode.Internal, format, args...)
}

func rolledBack(format string, args ...any) error {
	return errcode.New(StoreRolledBack, format, args...)
}
