package backupproxy

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Algorithm is the one backup algorithm this server stores:
// m.megolm_backup.v1.curve25519-aes-sha2 (Matrix spec, "Server-side key backups").
const Algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

// Limits on identifiers and counters. Matrix ids are at most 255 bytes;
// a Megolm ratchet index is a uint32.
const (
	maxIDBytes        = 255
	maxMessageIndex   = 1<<32 - 1
	maxForwardedCount = 1<<31 - 1
)

// KeyRow is one stored room key: KeyBackupData of the spec plus its place.
type KeyRow struct {
	RoomID, SessionID string
	FirstMessageIndex int64
	ForwardedCount    int64
	IsVerified        bool
	// SessionData is the canonical JSON of the session_data object.
	SessionData []byte
}

// Hash is the row's contribution to its version's etag: 52 bits of SHA-256
// over everything stored, so it is exact as a JSON/JS number and as an
// SQLite integer, and XOR-combining rows never overflows.
func (r KeyRow) Hash() int64 {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{r.RoomID, r.SessionID} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(r.FirstMessageIndex))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.ForwardedCount))
	h.Write(n[:])
	if r.IsVerified {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	h.Write(r.SessionData)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return int64(binary.BigEndian.Uint64(sum[:8]) >> 12)
}

// FormatEtag turns a version's combined row hash into the etag string.
func FormatEtag(keyHash int64) string { return strconv.FormatInt(keyHash, 10) }

// parseKeyBackupData validates one KeyBackupData object.
func parseKeyBackupData(v any, roomID, sessionID, where string) (KeyRow, *MatrixError) {
	if err := checkID(roomID, "room id"); err != nil {
		return KeyRow{}, err
	}
	if err := checkID(sessionID, "session id"); err != nil {
		return KeyRow{}, err
	}
	o, err := jsonvalue.AsObject(v, where)
	if err != nil {
		return KeyRow{}, badJSON("%s must be an object", where)
	}
	fmi, ok := nonNegative(o.Raw("first_message_index"), maxMessageIndex)
	if !ok {
		return KeyRow{}, badJSON("%s.first_message_index must be an integer from 0 to %d", where, int64(maxMessageIndex))
	}
	fc, ok := nonNegative(o.Raw("forwarded_count"), maxForwardedCount)
	if !ok {
		return KeyRow{}, badJSON("%s.forwarded_count must be an integer from 0 to %d", where, int64(maxForwardedCount))
	}
	verified, ok := o.Raw("is_verified").(bool)
	if !ok {
		return KeyRow{}, badJSON("%s.is_verified must be true or false", where)
	}
	sd, merr := parseSessionData(o.Raw("session_data"), where+".session_data")
	if merr != nil {
		return KeyRow{}, merr
	}
	return KeyRow{RoomID: roomID, SessionID: sessionID, FirstMessageIndex: fmi, ForwardedCount: fc, IsVerified: verified, SessionData: sd}, nil
}

func checkID(id, what string) *MatrixError {
	if id == "" || len(id) > maxIDBytes {
		return invalidParam("%s must be 1 to %d bytes", what, maxIDBytes)
	}
	return nil
}

func nonNegative(v any, max int64) (int64, bool) {
	n, ok := v.(jsonvalue.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil && i >= 0 && i <= max
}

// parseSessionData checks session_data is the encrypted object of
// m.megolm_backup.v1.curve25519-aes-sha2 — ephemeral Curve25519 key (32
// bytes), AES-256-CBC ciphertext (whole 16-byte blocks), MAC (8 bytes), all
// unpadded base64 — and returns its canonical JSON.
func parseSessionData(v any, where string) ([]byte, *MatrixError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badJSON("%s must be an object", where)
	}
	checks := []struct {
		field string
		ok    func(n int) bool
		want  string
	}{
		{"ephemeral", func(n int) bool { return n == 32 }, "32 bytes"},
		{"ciphertext", func(n int) bool { return n > 0 && n%16 == 0 }, "whole AES blocks"},
		{"mac", func(n int) bool { return n == 8 }, "8 bytes"},
	}
	for _, c := range checks {
		s, ok := m[c.field].(string)
		if !ok {
			return nil, badJSON("%s.%s must be a base64 string", where, c.field)
		}
		raw, err := b64.Decode(s)
		if err != nil || !c.ok(len(raw)) {
			return nil, invalidParam("%s.%s must be base64 of %s", where, c.field, c.want)
		}
	}
	out, err := canonicaljson.Encode(m)
	if err != nil {
		return nil, invalidParam("%s: %v", where, err)
	}
	return out, nil
}

// ParseKeysBody validates a PUT body at one of the three levels (room and
// session empty: {"rooms":…}; room only: {"sessions":…}; both: KeyBackupData)
// and returns its rows.
func ParseKeysBody(body []byte, roomID, sessionID string) ([]KeyRow, *MatrixError) {
	parsed, err := jsonvalue.Parse(body)
	if err != nil {
		return nil, newError(400, ErrNotJSON, "body is not JSON")
	}
	switch {
	case sessionID != "":
		row, merr := parseKeyBackupData(parsed, roomID, sessionID, "body")
		if merr != nil {
			return nil, merr
		}
		return []KeyRow{row}, nil
	case roomID != "":
		return parseRoom(parsed, roomID, "body")
	}
	top, ok := parsed.(map[string]any)
	if !ok {
		return nil, badJSON("body must be an object")
	}
	rooms, ok := top["rooms"].(map[string]any)
	if !ok {
		return nil, badJSON("body.rooms must be an object")
	}
	var rows []KeyRow
	for _, room := range sortedKeys(rooms) {
		r, merr := parseRoom(rooms[room], room, "rooms["+strconv.Quote(room)+"]")
		if merr != nil {
			return nil, merr
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func parseRoom(v any, roomID, where string) ([]KeyRow, *MatrixError) {
	if err := checkID(roomID, "room id"); err != nil {
		return nil, err
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, badJSON("%s must be an object", where)
	}
	sessions, ok := o["sessions"].(map[string]any)
	if !ok {
		return nil, badJSON("%s.sessions must be an object", where)
	}
	rows := make([]KeyRow, 0, len(sessions))
	for _, sid := range sortedKeys(sessions) {
		row, merr := parseKeyBackupData(sessions[sid], roomID, sid, where+".sessions["+strconv.Quote(sid)+"]")
		if merr != nil {
			return nil, merr
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// VersionBody is a validated POST/PUT /room_keys/version body.
type VersionBody struct {
	Algorithm string
	AuthData  map[string]any
	// Version is the body's "version" (PUT only; empty when absent).
	Version string
}

// ParseVersionBody validates a version body: the algorithm this server
// stores and an auth_data object with a 32-byte public_key.
func ParseVersionBody(body []byte) (VersionBody, *MatrixError) {
	parsed, err := jsonvalue.Parse(body)
	if err != nil {
		return VersionBody{}, newError(400, ErrNotJSON, "body is not JSON")
	}
	top, ok := parsed.(map[string]any)
	if !ok {
		return VersionBody{}, badJSON("body must be an object")
	}
	alg, ok := top["algorithm"].(string)
	if !ok {
		return VersionBody{}, badJSON("algorithm must be a string")
	}
	if alg != Algorithm {
		return VersionBody{}, invalidParam("unsupported algorithm %q", alg)
	}
	auth, ok := top["auth_data"].(map[string]any)
	if !ok {
		return VersionBody{}, badJSON("auth_data must be an object")
	}
	pub, ok := auth["public_key"].(string)
	if !ok {
		return VersionBody{}, badJSON("auth_data.public_key must be a string")
	}
	if raw, err := b64.Decode(pub); err != nil || len(raw) != 32 {
		return VersionBody{}, invalidParam("auth_data.public_key must be base64 of 32 bytes")
	}
	vb := VersionBody{Algorithm: alg, AuthData: auth}
	if v, present := top["version"]; present {
		s, ok := v.(string)
		if !ok {
			return VersionBody{}, badJSON("version must be a string")
		}
		vb.Version = s
	}
	return vb, nil
}
