// Package olm implements Olm (m.olm.v1.curve25519-aes-sha2): the
// device account with its identity, one-time and fallback keys, and the
// double-ratchet sessions between two devices.
//
// The wire format and all key derivations are those of libolm 3.2 and
// vodozemac, so sessions interoperate with every Matrix client. Where those
// two differ, this package follows libolm's limits (5 receiver chains, 40
// skipped message keys per session, a forward gap of at most 2000) so that a
// libolm session pickle can be imported and exported without loss.
//
// Fallback keys go beyond libolm and vodozemac: the account keeps every old
// fallback private key for a retention window after it was replaced
// (MSC4081), not just one previous key; see fallback.go.
//
// Design rules that hold throughout:
//   - A failed decryption never changes any state: the session (or, for a
//     new inbound session, the account) is changed only after the MAC has
//     verified and the plaintext has been recovered.
//   - Every error carries an errcode.Code; nothing in here panics on input.
//   - MACs are compared in constant time; AES runs on the constant-time
//     implementation in internal/aes256.
//
// Accounts and sessions are not safe for concurrent use.
package olm
