package device

import "github.com/mxcrypto/mxcrypto/errcode"

// Codes of the device's own failures, declared in errcode with every public
// code.
const (
	NoOlmSession     = errcode.NoOlmSession
	UnknownSession   = errcode.UnknownSession
	BackupNotEnabled = errcode.BackupNotEnabled
	KeyConflict      = errcode.RoomKeyConflict
)

// Not inlined, like errcode.New.
//
//go:noinline
func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

func damaged(what string, err error) error {
	return errcode.Wrap(errcode.BadPickle, err, "stored %s is damaged", what)
}
