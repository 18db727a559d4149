package megolm

import (
	"strconv"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Algorithm is the Matrix name of Megolm encryption.
const Algorithm = "m.megolm.v1.aes-sha2"

// The shared-history flag of MSC3061 under the names in use: the spec's
// (v1.19), the one matrix-rust-sdk and matrix-js-sdk write, and the unstable
// prefix. See docs/megolm.md §7.5.
var sharedHistoryNames = []string{"shared_history", "m.shared_history", "org.matrix.msc3061.shared_history"}

// RoomKey is a Megolm session received in an m.room_key or
// m.forwarded_room_key to-device event, with what the event says about it.
type RoomKey struct {
	Session   *InboundGroupSession
	RoomID    string
	SessionID string
	// SenderKey is the Curve25519 identity key of the device that created the
	// session. For m.room_key it is the Olm sender (passed in by the caller);
	// for a forward it is what the forwarder claims.
	SenderKey string
	// SenderClaimedEd25519Key is the creator's Ed25519 device key: from the
	// Olm payload's keys.ed25519 for m.room_key, claimed by the forwarder
	// otherwise.
	SenderClaimedEd25519Key string
	// ForwardingCurve25519KeyChain lists the Curve25519 keys of the devices
	// the key passed through, oldest first; nil for m.room_key. The caller
	// appends the Olm sender of the forward before forwarding it again.
	ForwardingCurve25519KeyChain []string
	// SharedHistory: the creator allows the key to be shared with users
	// invited later (MSC3061).
	SharedHistory bool
	// Forwarded is true for m.forwarded_room_key.
	Forwarded bool
}

// RoomKeyContent builds the content of the m.room_key event that shares this
// session at its current index. The shared-history flag is written under both
// names in use (shared_history and m.shared_history). Send it only over Olm.
func (s *OutboundGroupSession) RoomKeyContent(roomID string, sharedHistory bool) ([]byte, error) {
	if err := checkRoomID(roomID); err != nil {
		return nil, err
	}
	key, err := s.SessionKey()
	if err != nil {
		return nil, err
	}
	b, err := canonicaljson.Encode(map[string]any{
		"algorithm":        Algorithm,
		"room_id":          roomID,
		"session_id":       s.SessionID(),
		"session_key":      key,
		"shared_history":   sharedHistory,
		"m.shared_history": sharedHistory,
	})
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, err, "m.room_key content")
	}
	return b, nil
}

// ParseRoomKey reads the content of a decrypted m.room_key event. senderKey
// and senderClaimedEd25519Key come from the Olm layer that carried it (the
// sender's Curve25519 key and the payload's keys.ed25519); the content has no
// trustworthy place for them. The session key's signature is checked
// (BadSignature) and its session id must match session_id.
func ParseRoomKey(content []byte, senderKey, senderClaimedEd25519Key string) (*RoomKey, error) {
	const what = "m.room_key"
	obj, err := parseContent(content, what)
	if err != nil {
		return nil, err
	}
	rk := &RoomKey{}
	if rk.SenderKey, err = b64.Canonical(senderKey, 32, "sender key (Curve25519)"); err != nil {
		return nil, err
	}
	if rk.SenderClaimedEd25519Key, err = b64.Canonical(senderClaimedEd25519Key, 32, "sender's claimed Ed25519 key"); err != nil {
		return nil, err
	}
	if err := readCommon(obj, what, rk, NewInboundGroupSession); err != nil {
		return nil, err
	}
	return rk, nil
}

// ParseForwardedRoomKey reads the content of a decrypted
// m.forwarded_room_key event: a session in the export format (v1, unsigned,
// so the session starts unverified), with the creator's keys as claimed by
// the forwarder. Accept forwards only from the user's own verified devices,
// and only for keys that were requested (spec); that is the caller's check.
// A missing forwarding_curve25519_key_chain is read as empty.
func ParseForwardedRoomKey(content []byte) (*RoomKey, error) {
	const what = "m.forwarded_room_key"
	obj, err := parseContent(content, what)
	if err != nil {
		return nil, err
	}
	rk := &RoomKey{Forwarded: true, ForwardingCurve25519KeyChain: []string{}}
	s, err := stringField(obj, what, "sender_key")
	if err != nil {
		return nil, err
	}
	if rk.SenderKey, err = b64.Canonical(s, 32, what+": sender_key"); err != nil {
		return nil, err
	}
	if s, err = stringField(obj, what, "sender_claimed_ed25519_key"); err != nil {
		return nil, err
	}
	if rk.SenderClaimedEd25519Key, err = b64.Canonical(s, 32, what+": sender_claimed_ed25519_key"); err != nil {
		return nil, err
	}
	if rk.ForwardingCurve25519KeyChain, err = ParseForwardingChain(obj["forwarding_curve25519_key_chain"], what); err != nil {
		return nil, err
	}
	if err := readCommon(obj, what, rk, ImportInboundGroupSession); err != nil {
		return nil, err
	}
	return rk, nil
}

// readCommon reads algorithm, room_id, session_id, session_key and the
// shared-history flag, which both events have.
func readCommon(obj map[string]any, what string, rk *RoomKey, load func(string) (*InboundGroupSession, error)) error {
	alg, err := stringField(obj, what, "algorithm")
	if err != nil {
		return err
	}
	if alg != Algorithm {
		return errcode.New(errcode.UnsupportedAlgorithm, "%s: algorithm %q is not supported (only %s is)", what, truncate([]byte(alg)), Algorithm)
	}
	if rk.RoomID, err = stringField(obj, what, "room_id"); err != nil {
		return err
	}
	if err := checkRoomID(rk.RoomID); err != nil {
		return errcode.Context(err, what)
	}
	if rk.SessionID, err = stringField(obj, what, "session_id"); err != nil {
		return err
	}
	key, err := stringField(obj, what, "session_key")
	if err != nil {
		return err
	}
	if rk.Session, err = load(key); err != nil {
		return errcode.Context(err, what)
	}
	if id := rk.Session.SessionID(); id != strings.TrimRight(rk.SessionID, "=") {
		return errcode.New(errcode.BadInput, "%s: session_id %q does not match the session key's id %s", what, truncate([]byte(rk.SessionID)), id)
	}
	rk.SessionID = rk.Session.SessionID()
	// True only when every name present says true: sharing history with
	// later members is the less private choice, so a contradiction says no.
	seen, all := false, true
	for _, name := range sharedHistoryNames {
		raw, ok := obj[name]
		if !ok || raw == nil {
			continue
		}
		v, ok := raw.(bool)
		if !ok {
			return errcode.New(errcode.BadInput, "%s: %s must be a boolean", what, name)
		}
		seen, all = true, all && v
	}
	rk.SharedHistory = seen && all
	return nil
}

func parseContent(content []byte, what string) (map[string]any, error) {
	obj, err := jsonvalue.ParseObject(content)
	if err != nil {
		return nil, errcode.New(errcode.BadInput, "%s content is not a JSON object", what)
	}
	return obj, nil
}

func stringField(obj map[string]any, what, name string) (string, error) {
	raw, ok := obj[name]
	if !ok {
		return "", errcode.New(errcode.BadInput, "%s: required field %s is missing", what, name)
	}
	s, ok := raw.(string)
	if !ok {
		return "", errcode.New(errcode.BadInput, "%s: %s must be a string", what, name)
	}
	return s, nil
}

// ParseForwardingChain reads a parsed forwarding_curve25519_key_chain (nil
// when absent): an array of Curve25519 keys in base64, returned unpadded. A
// missing chain is empty; anything else that is not an array of keys is
// BadInput. what names the object in errors. Every reader of room keys
// (forwards here, imports and backups in package device) uses this one.
func ParseForwardingChain(raw any, what string) ([]string, error) {
	out := []string{}
	if raw == nil {
		return out, nil
	}
	chain, ok := raw.([]any)
	if !ok {
		return nil, errcode.New(errcode.BadInput, "%s: forwarding_curve25519_key_chain must be an array of strings", what)
	}
	for i, v := range chain {
		k, ok := v.(string)
		if !ok {
			return nil, errcode.New(errcode.BadInput, "%s: forwarding_curve25519_key_chain must be an array of strings", what)
		}
		n, err := b64.Canonical(k, 32, what+": forwarding_curve25519_key_chain entry")
		if err != nil {
			return nil, errcode.Context(err, "entry "+strconv.Itoa(i))
		}
		out = append(out, n)
	}
	return out, nil
}

// checkRoomID checks the shape of a room id ("!opaque" or "!opaque:server").
func checkRoomID(roomID string) error {
	if len(roomID) < 2 || roomID[0] != '!' {
		return errcode.New(errcode.BadInput, "room id %q must start with '!' and not be empty", truncate([]byte(roomID)))
	}
	return nil
}
