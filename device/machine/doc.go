// Package machine is the sans-IO end-to-end encryption state machine of a
// Matrix client, over a device.Device and its store: it decides which
// requests to send (keys upload, query, claim, to-device messages, backup
// uploads and fetches) and digests what comes back (/sync changes, request
// responses), in the shape of matrix-sdk-crypto's OlmMachine.
//
// It does no I/O. A driver sends each Request it lists, passes the answer
// to MarkRequestAsSent, and feeds every /sync response to
// ReceiveSyncChanges. Everything a returned request depends on (new keys,
// ratchet steps, who was given a room key) is committed before the request
// is returned, so a crash at any point loses nothing that left the process
// and never reuses a key: to-device requests are kept in the store and
// listed again, with the same transaction id, until marked as sent.
//
// Its own records live in the device's store under value names starting
// with "machine\x00".
package machine
