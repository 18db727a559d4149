// Package megolm implements Megolm (m.megolm.v1.aes-sha2), the group ratchet
// Matrix uses to encrypt room events: one outbound session per room on the
// sending device, shared with each recipient device over Olm, and one inbound
// session per received key on every receiving device.
//
// What is here:
//   - the ratchet (advance by one, and the cheap jump to any index) and the
//     per-message keys (ratchet.go);
//   - the wire formats: Megolm messages (message.go), session-sharing keys
//     (v2, signed) and session exports (v1) (sessionkey.go);
//   - OutboundGroupSession (encrypt, share) and InboundGroupSession (decrypt,
//     export at any known index) (outbound.go, inbound.go);
//   - KeepBetter, for deciding which of two copies of a session to store
//     (better.go); ReplayGuard, the per-(session, index) replay check
//     (replay.go); the rotation rule (rotation.go);
//   - m.room_key / m.forwarded_room_key contents (roomkey.go);
//   - pickles: mxcrypto's own sealed format (pickle.go) and libolm's
//     (libolm.go).
//
// Every error carries an errcode.Code: BadMessage for messages, BadInput or
// BadBase64 for keys and event contents, BadSignature, BadMAC,
// UnknownMessageIndex, ReplayedMessage, WrongKey and BadPickle. No function
// panics on bad input.
//
// Message and key formats follow libolm 3.2.14 and vodozemac byte for byte;
// docs/megolm.md notes where they differ.
package megolm
