// Package errcode gives every rejected input a stable, machine-readable code.
//
// Every public code is declared in this package, once; codes_test.go checks
// that jsbridge/js/index.d.ts (the MxCryptoErrorCode union and its list) and the
// README list exactly these. Unexported codes (jsbridge's NO_STORE) pass
// between mxcrypto's own Go and JS and never reach a caller.
//
// The JS bridge turns an *Error into a JS Error whose `code` property is the
// Code, so client code can branch on it without parsing messages. Messages are
// written for a person and never contain key material.
package errcode

import (
	"errors"
	"fmt"
)

// Code is a stable identifier for a class of failure. Values never change once
// published: clients compare against them.
type Code string

const (
	// BadInput: an argument has the wrong type, length or shape.
	BadInput Code = "BAD_INPUT"
	// BadBase64: a field that must be base64 is not.
	BadBase64 Code = "BAD_BASE64"
	// BadMAC: a MAC did not verify; the data was altered or the key/name is wrong.
	BadMAC Code = "BAD_MAC"
	// BadRecoveryKey: text is not a valid recovery key (alphabet, length, prefix, parity).
	BadRecoveryKey Code = "BAD_RECOVERY_KEY"
	// WrongKey: the data was made for a different key.
	WrongKey Code = "WRONG_KEY"
	// BadMessage: the ciphertext decrypted but the result is malformed
	// (padding, JSON), or a message could not be parsed.
	BadMessage Code = "BAD_MESSAGE"
	// UnsupportedAlgorithm: an algorithm name we do not implement.
	UnsupportedAlgorithm Code = "UNSUPPORTED_ALGORITHM"
	// BadPickle: stored state is damaged, truncated or of an unknown version.
	BadPickle Code = "BAD_PICKLE"
	// BadSignature: an Ed25519 signature did not verify.
	BadSignature Code = "BAD_SIGNATURE"
	// UnknownMessageIndex: a message key is not available (below a session's
	// first known index, or skipped too far / already used).
	UnknownMessageIndex Code = "UNKNOWN_MESSAGE_INDEX"
	// ReplayedMessage: the same message index arrived again with a different event.
	ReplayedMessage Code = "REPLAYED_MESSAGE"
	// UnknownOneTimeKey: a pre-key message names a one-time or fallback key we do not hold.
	UnknownOneTimeKey Code = "UNKNOWN_ONE_TIME_KEY"
	// Internal: a bug in mxcrypto (including a recovered panic).
	Internal Code = "INTERNAL"
)

// Codes of the key store (package store).
const (
	// Closed: the store was closed.
	Closed Code = "CLOSED"
	// StoreFailure: the filesystem failed (IndexedDB missing, quota
	// exceeded, a transaction aborted); the cause is wrapped.
	StoreFailure Code = "STORE_FAILURE"
	// StoreVersion: the store's format is newer than this mxcrypto reads,
	// or older with no migration.
	StoreVersion Code = "STORE_VERSION"
	// StoreCorrupt: a store file is damaged: it fails authentication under
	// the right key, or does not decode, or one the manifest names is
	// missing. The store never falls back to an older generation for it.
	StoreCorrupt Code = "STORE_CORRUPT"
	// StoreRolledBack: the store is older than the newest generation its
	// high-water mark has seen (an older copy was restored), or it went back
	// while open. Opening with AllowRollback recovers safely (store/mark.go).
	StoreRolledBack Code = "STORE_ROLLED_BACK"
)

// Codes of a device's state (package device).
const (
	// NoOlmSession: there is no Olm session with the device (or the device
	// was never seen in a /keys/query answer); claim a key and call
	// CreateOutboundSessions first.
	NoOlmSession Code = "NO_OLM_SESSION"
	// UnknownSession: the room key (Megolm session) of an event is not held;
	// wait for it, request it, or restore it from backup.
	UnknownSession Code = "UNKNOWN_SESSION"
	// BackupNotEnabled: a backup call needs EnableBackup first.
	BackupNotEnabled Code = "BACKUP_NOT_ENABLED"
	// RoomKeyConflict: a copy of a held room key disagrees with it (its
	// ratchet does not connect, or it names another creator than the copy
	// received over Olm): it is refused and the held copy kept.
	RoomKeyConflict Code = "ROOM_KEY_CONFLICT"
)

// Codes of the client machine (package device/machine).
const (
	// MismatchedSender: the room key of an event was sent by a device that
	// is not one of the event sender's devices.
	MismatchedSender Code = "MISMATCHED_SENDER"
	// Withheld: the sender withheld the room key (the error says why).
	Withheld Code = "WITHHELD"
	// DeviceKeysChanged: a /keys/query answer changed the keys of a known
	// device; the change is refused.
	DeviceKeysChanged Code = "DEVICE_KEYS_CHANGED"
	// RoomKeyNotShared: a room event was to be encrypted before the room's
	// key was given out (or when it is due for rotation).
	RoomKeyNotShared Code = "ROOM_KEY_NOT_SHARED"
	// NoCrossSigning: the user has no (usable) cross-signing keys for what
	// was asked: none published, or their private keys are not held here.
	NoCrossSigning Code = "NO_CROSS_SIGNING"
	// UntrustedBackup: a backup version's auth_data is signed by nobody
	// trusted (nor is its private key held), so no key is uploaded to it.
	UntrustedBackup Code = "UNTRUSTED_BACKUP"
	// HomeserverError: the homeserver refused a request of mx.connect's
	// HTTP driver (jsbridge/js/client.mjs), or it ran out of retries; the
	// error carries the HTTP status (0 for a network error) and the Matrix
	// errcode.
	HomeserverError Code = "HOMESERVER_ERROR"
)

// Codes the JS loader (jsbridge/js/index.mjs) raises itself; Go never returns
// them, they are declared here so that this file lists every public code.
const (
	// InstanceExited: the wasm instance stopped during the call; the next
	// call starts a new one.
	InstanceExited Code = "INSTANCE_EXITED"
	// NotLoaded: the wasm module could not be loaded or started.
	NotLoaded Code = "NOT_LOADED"
)

// Error is a failure with a Code. Err, when set, is the underlying cause.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with a formatted message.
//
// Not inlined: it is called at some 400 places, each of which would carry
// its own copy of the allocation and formatting call (wasm size).
//
//go:noinline
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error that keeps err as its cause. Not inlined, like New.
//
//go:noinline
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Of returns the code of the first *Error in err's chain, or Internal when the
// chain has none (an error without a code is a bug on our side).
func Of(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Context prefixes the message of a coded error with where it happened, keeping
// its code, so "ciphertext: not base64" reads well to a person.
func Context(err error, where string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{Code: e.Code, Message: where + ": " + e.Message, Err: e.Err}
	}
	return fmt.Errorf("%s: %w", where, err)
}
