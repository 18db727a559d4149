package backup

import (
	"slices"

	"github.com/mxcrypto/mxcrypto/crypto/internal/x25519"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// KeyBackupData is one per-session record of a backup.
type KeyBackupData struct {
	FirstMessageIndex int                  `json:"first_message_index"`
	ForwardedCount    int                  `json:"forwarded_count"`
	IsVerified        bool                 `json:"is_verified"`
	SessionData       EncryptedSessionData `json:"session_data"`
}

// Entry names one backed-up session.
type Entry struct {
	RoomID    string
	SessionID string
}

// Session is a decrypted backup entry; SessionData is a JSON object.
type Session struct {
	Entry
	SessionData []byte
}

// Failure is an entry that could not be decrypted, with the code saying why:
// WRONG_KEY (made for another backup key), BAD_BASE64/BAD_MESSAGE/BAD_INPUT
// (corrupt entry).
type Failure struct {
	Entry
	Code errcode.Code
}

// Result of DecryptMany. Sessions and Failures are sorted by room then session.
type Result struct {
	Sessions []Session
	Failures []Failure
}

// Pending is one entry waiting to be decrypted: either a parsed record or the
// reason it could not be parsed.
type Pending struct {
	Entry
	Data KeyBackupData
	Err  error
}

// ParseRoomKeys flattens a GET /room_keys/keys body into entries in a stable
// order. Entries whose record is malformed carry their error.
func ParseRoomKeys(body []byte) ([]Pending, error) {
	v, err := jsonvalue.Parse(body)
	if err != nil {
		return nil, errcode.Context(err, "room keys body")
	}
	top, err := jsonvalue.AsObject(v, "roomKeys")
	if err != nil || !top.Has("rooms") {
		return nil, errcode.New(errcode.BadInput, "expected the body of GET /room_keys/keys: an object with a \"rooms\" object")
	}
	rooms := top.Object("rooms")
	if err := top.Err(); err != nil {
		return nil, err
	}
	var out []Pending
	for _, roomID := range sorted(rooms.Keys()) {
		room, err := jsonvalue.AsObject(rooms.Raw(roomID), "roomKeys.rooms[room]")
		if err != nil {
			return nil, err
		}
		sessions, ok := room.Raw("sessions").(map[string]any)
		if !ok {
			return nil, errcode.New(errcode.BadInput, "roomKeys.rooms[room].sessions must be an object")
		}
		for _, sessionID := range sorted(mapKeys(sessions)) {
			p := Pending{Entry: Entry{roomID, sessionID}}
			p.Data, p.Err = parseRecord(sessions[sessionID])
			out = append(out, p)
		}
	}
	return out, nil
}

// parseRecord reads a KeyBackupData object. Only session_data is needed to
// decrypt; the other fields are checked when present.
func parseRecord(v any) (KeyBackupData, error) {
	rec, err := jsonvalue.AsObject(v, "backup record")
	if err != nil {
		return KeyBackupData{}, err
	}
	sd := rec.Object("session_data")
	d := KeyBackupData{
		FirstMessageIndex: rec.OptInt("first_message_index", 0),
		ForwardedCount:    rec.OptInt("forwarded_count", 0),
		IsVerified:        rec.Bool("is_verified"),
		SessionData: EncryptedSessionData{
			Ciphertext: sd.String("ciphertext"),
			Ephemeral:  sd.String("ephemeral"),
			MAC:        sd.String("mac"),
		},
	}
	return d, rec.Err()
}

// DecryptMany decrypts every entry of a GET /room_keys/keys body. progress,
// if not nil, is called now and then with the number of entries done.
func DecryptMany(privateKey []byte, body []byte, progress func(done, total int)) (*Result, error) {
	if len(privateKey) != pk.KeySize {
		return nil, errcode.New(errcode.BadInput, "private key must be %d bytes, got %d", pk.KeySize, len(privateKey))
	}
	priv := privateKey
	entries, err := ParseRoomKeys(body)
	if err != nil {
		return nil, err
	}
	res := &Result{Sessions: make([]Session, 0, len(entries)), Failures: []Failure{}}
	for i, e := range entries {
		data, err := e.Data.SessionData, e.Err
		var pt []byte
		if err == nil {
			var shared []byte
			shared, err = sharedSecret(priv, data.Ephemeral)
			if err == nil {
				pt, err = DecryptShared(shared, data)
			}
		}
		res.add(e.Entry, pt, err)
		if progress != nil && (i%256 == 255 || i == len(entries)-1) {
			progress(i+1, len(entries))
		}
	}
	return res, nil
}

// DecryptShared finishes one entry whose X25519 shared secret is known.
func DecryptShared(shared []byte, m EncryptedSessionData) ([]byte, error) {
	pt, err := pk.DecryptShared(shared, m)
	if err != nil {
		return nil, err
	}
	return checkPlaintext(pt)
}

func (r *Result) add(e Entry, pt []byte, err error) {
	if err != nil {
		r.Failures = append(r.Failures, Failure{Entry: e, Code: errcode.Of(err)})
		return
	}
	r.Sessions = append(r.Sessions, Session{Entry: e, SessionData: pt})
}

func sharedSecret(priv []byte, ephemeral string) ([]byte, error) {
	eph, err := b64.DecodeLen(ephemeral, pk.KeySize, "ephemeral")
	if err != nil {
		return nil, err
	}
	shared, err := x25519.SharedSecret(priv, eph)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "ephemeral key is a low-order point")
	}
	return shared, nil
}

func mapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func sorted(keys []string) []string {
	slices.Sort(keys)
	return keys
}
