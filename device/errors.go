package device

import "github.com/mxcrypto/mxcrypto/crypto/errcode"

// Codes of the device's own failures, next to errcode's.
const (
	// NoOlmSession: there is no Olm session with the device (or the device
	// was never seen in a /keys/query answer); claim a key and call
	// CreateOutboundSessions first.
	NoOlmSession errcode.Code = "NO_OLM_SESSION"
	// UnknownSession: the room key (Megolm session) of an event is not held;
	// wait for it, request it, or restore it from backup.
	UnknownSession errcode.Code = "UNKNOWN_SESSION"
	// BackupNotEnabled: a backup call needs EnableBackup first.
	BackupNotEnabled errcode.Code = "BACKUP_NOT_ENABLED"
	// KeyConflict: a copy of a held room key disagrees with it (its ratchet
	// does not connect, or it names another creator than the held copy
	// received over Olm): it is refused and the held copy kept.
	KeyConflict errcode.Code = "ROOM_KEY_CONFLICT"
)

func badInput(format string, args ...any) error {
	return errcode.New(errcode.BadInput, format, args...)
}

func damaged(what string, err error) error {
	return errcode.Wrap(errcode.BadPickle, err, "stored %s is damaged", what)
}
