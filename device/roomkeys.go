package device

import (
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// RoomKeySource says where a room key passed to ImportRoomKey came from.
type RoomKeySource struct {
	// Kind is "m.room_key", "m.forwarded_room_key" (the type of the
	// decrypted to-device event) or "backup" (a decrypted backup entry).
	Kind string
	// SenderKey and SenderEd25519 are the Olm-proven keys of the to-device
	// sender (ToDeviceEvent.SenderKey and SenderEd25519); unused for backup.
	SenderKey, SenderEd25519 string
	// RoomID and SessionID name a backup entry (its place in the body).
	RoomID, SessionID string
}

// ImportRoomKey stores a room key from an m.room_key or m.forwarded_room_key
// event content, or from decrypted backup session data, keeping the better
// copy when the session is already held. Forwards are to be accepted only
// from the user's own verified devices, for keys that were requested: that
// is the caller's check.
func (d *Device) ImportRoomKey(content []byte, src RoomKeySource) (ImportOutcome, error) {
	var in *inbound
	switch src.Kind {
	case "m.room_key":
		rk, err := megolm.ParseRoomKey(content, src.SenderKey, src.SenderEd25519)
		if err != nil {
			return 0, err
		}
		in = fromRoomKey(rk)
	case "m.forwarded_room_key":
		sender, err := b64.Canonical(src.SenderKey, 32, "forwarder's sender key")
		if err != nil {
			return 0, err
		}
		rk, err := megolm.ParseForwardedRoomKey(content)
		if err != nil {
			return 0, err
		}
		in = fromRoomKey(rk)
		in.chain = append(in.chain, sender)
	case "backup":
		o, err := jsonvalue.ParseAsObject(content, "backup session data")
		if err != nil {
			return 0, err
		}
		if in, err = parseSessionData(o, src.RoomID, src.SessionID); err != nil {
			return 0, err
		}
	default:
		return 0, badInput("room key source %q is not m.room_key, m.forwarded_room_key or backup", src.Kind)
	}
	var out ImportOutcome
	err := d.st.Update(func(tx *store.Tx) (err error) {
		out, err = keep(tx, in, false)
		return err
	})
	return out, err
}

func fromRoomKey(rk *megolm.RoomKey) *inbound {
	return &inbound{
		roomID: rk.RoomID, s: rk.Session,
		senderKey: rk.SenderKey, senderEd25519: rk.SenderClaimedEd25519Key,
		chain: rk.ForwardingCurve25519KeyChain, sharedHistory: rk.SharedHistory, imported: rk.Forwarded,
	}
}

// sessionData is the plaintext of a backup entry or one element of a key
// export file (docs/backup.md §4); export adds room_id and session_id.
func (in *inbound) sessionData(export bool) (map[string]any, error) {
	key, err := in.s.Export(in.s.FirstKnownIndex())
	if err != nil {
		return nil, err
	}
	chain := make([]any, len(in.chain))
	for i, k := range in.chain {
		chain[i] = k
	}
	m := map[string]any{
		"algorithm":                       megolm.Algorithm,
		"sender_key":                      in.senderKey,
		"sender_claimed_keys":             map[string]any{"ed25519": in.senderEd25519},
		"forwarding_curve25519_key_chain": chain,
		"session_key":                     key,
		"shared_history":                  in.sharedHistory,
		"m.shared_history":                in.sharedHistory,
	}
	if export {
		m["room_id"] = in.roomID
		m["session_id"] = in.s.SessionID()
	}
	return m, nil
}

// maxID bounds room ids (Matrix allows 255 bytes; the store 1024).
const maxID = 1024

func checkRoomID(roomID string) error {
	if len(roomID) < 2 || roomID[0] != '!' || len(roomID) > maxID {
		return badInput("room id %.64q must start with '!' and be at most %d bytes", roomID, maxID)
	}
	return nil
}

var sharedHistoryNames = []string{"shared_history", "m.shared_history", "org.matrix.msc3061.shared_history"}

// parseSessionData reads backup or export session data. roomID and
// sessionID, when given, are where the entry was found and must agree with
// the data. Legacy spellings are accepted (docs/backup.md §4).
func parseSessionData(o jsonvalue.Object, roomID, sessionID string) (*inbound, error) {
	alg := o.String("algorithm")
	senderKey := o.String("sender_key")
	claimed := o.Object("sender_claimed_keys").String("ed25519")
	sessionKey := o.String("session_key")
	if roomID == "" {
		roomID = o.String("room_id")
	}
	if sessionID == "" {
		sessionID = o.String("session_id")
	}
	if err := o.Err(); err != nil {
		return nil, err
	}
	if alg != megolm.Algorithm {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "room key algorithm %q is not supported (only %s)", alg, megolm.Algorithm)
	}
	if err := checkRoomID(roomID); err != nil {
		return nil, err
	}
	in := &inbound{roomID: roomID, imported: true}
	var err error
	if in.senderKey, err = b64.Canonical(senderKey, 32, "sender_key"); err != nil {
		return nil, err
	}
	if in.senderEd25519, err = b64.Canonical(claimed, 32, "sender_claimed_keys.ed25519"); err != nil {
		return nil, err
	}
	// Key exports made by libolm-era clients spell the chain in camelCase.
	raw := o.Raw("forwarding_curve25519_key_chain")
	if raw == nil {
		raw = o.Raw("forwardingCurve25519KeyChain")
	}
	if in.chain, err = megolm.ParseForwardingChain(raw, "room key"); err != nil {
		return nil, err
	}
	seen, all := false, true
	for _, name := range sharedHistoryNames {
		if v, ok := o.Raw(name).(bool); ok {
			seen, all = true, all && v
		}
	}
	in.sharedHistory = seen && all
	if in.s, err = megolm.ImportInboundGroupSession(sessionKey); err != nil {
		return nil, errcode.Context(err, "session_key")
	}
	if id := in.s.SessionID(); id != strings.TrimRight(sessionID, "=") {
		return nil, errcode.New(errcode.BadInput, "session id %q does not match the session key's id %s", sessionID, id)
	}
	return in, nil
}

// ForwardRoomKey returns the m.forwarded_room_key content for a held room
// key, at its first known index, to answer a key request from one of the
// user's own verified devices (the caller decides; send it with
// EncryptToDevice). UNKNOWN_SESSION if the key is not held.
func (d *Device) ForwardRoomKey(roomID, sessionID string) ([]byte, error) {
	var out []byte
	err := d.st.View(func(tx *store.Tx) error {
		ss, found, err := tx.GetInbound(roomID, sessionID)
		if err != nil {
			return err
		}
		if !found {
			return errcode.New(UnknownSession, "no room key for session %s in %s to forward", sessionID, roomID)
		}
		in, err := decodeInbound(ss)
		if err != nil {
			return err
		}
		data, err := in.sessionData(true)
		if err != nil {
			return err
		}
		delete(data, "sender_claimed_keys")
		data["sender_claimed_ed25519_key"] = in.senderEd25519
		out, err = encode(data)
		return err
	})
	return out, err
}
