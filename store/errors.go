package store

import "github.com/mxcrypto/mxcrypto/errcode"

// Codes of the store's own failures, declared in errcode with every public
// code (errcode.WrongKey for a wrong store key, errcode.StoreCorrupt for damaged
// files, errcode.BadInput for bad calls).
const (
	Closed          = errcode.Closed
	StoreFailure    = errcode.StoreFailure
	StoreVersion    = errcode.StoreVersion
	StoreCorrupt    = errcode.StoreCorrupt
	StoreRolledBack = errcode.StoreRolledBack
)

func errClosed() error { return errcode.New(Closed, "the store is closed") }

// Not inlined, like errcode.New.
//
//go:noinline
func fsFailure(err error, format string, args ...any) error {
	return errcode.Wrap(StoreFailure, err, format, args...)
}

// Not inlined, like errcode.New.
//
//go:noinline
func damaged(format string, args ...any) error {
	e := errcode.New(StoreCorrupt, format, args...)
	e.Message = "store is damaged: " + e.Message
	return e
}

// Not inlined, like errcode.New.
//
//go:noinline
func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

func internal(format string, args ...any) error {
	return errcode.New(errcode.Internal, format, args...)
}

func rolledBack(format string, args ...any) error {
	return errcode.New(StoreRolledBack, format, args...)
}
