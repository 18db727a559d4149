package store

import "github.com/mxcrypto/mxcrypto/crypto/errcode"

// Codes of the store's own failures, next to errcode's (WRONG_KEY for a
// wrong store key, BAD_PICKLE for damaged files, BAD_INPUT for bad calls).
const (
	// Closed: the store was closed.
	Closed errcode.Code = "CLOSED"
	// StoreFailure: the filesystem failed (IndexedDB missing, quota
	// exceeded, a transaction aborted); the cause is wrapped.
	StoreFailure errcode.Code = "STORE_FAILURE"
	// StoreVersion: the store's format is newer than this mxcrypto reads,
	// or older with no migration.
	StoreVersion errcode.Code = "STORE_VERSION"
)

func errClosed() error { return errcode.New(Closed, "the store is closed") }

func fsFailure(err error, format string, args ...any) error {
	return errcode.Wrap(StoreFailure, err, format, args...)
}

func damaged(format string, args ...any) error {
	e := errcode.New(errcode.BadPickle, format, args...)
	e.Message = "store is damaged: " + e.Message
	return e
}

func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

func internal(format string, args ...any) error {
	return errcode.New(errcode.Internal, format, args...)
}
