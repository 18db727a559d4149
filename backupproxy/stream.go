package backupproxy

// PageSize is how many keys one query of a streamed GET reads: 100,000 keys
// take 25 queries (D1 allows 50 per invocation on Free, 1,000 on Paid), and
// one page of JSON stays around 2 MB.
const PageSize = 4000

// KeyStream writes a GET /room_keys/keys[/{roomId}] answer page by page, in
// (room, session) order so each room's sessions are contiguous.
type KeyStream struct {
	db      DB
	userID  string
	version int64
	roomID  string // "" for all rooms

	lastRoom, lastSession string
	started, done         bool
	openRoom              string
	anyRoom               bool
}

func newKeyStream(db DB, userID string, version int64, roomID string) *KeyStream {
	return &KeyStream{db: db, userID: userID, version: version, roomID: roomID}
}

// Next returns the next piece of the JSON answer, or nil at the end.
func (k *KeyStream) Next() ([]byte, error) {
	if k.done {
		return nil, nil
	}
	var out []byte
	if !k.started {
		k.started = true
		if k.roomID == "" {
			out = append(out, `{"rooms":{`...)
		} else {
			out = append(out, `{"sessions":{`...)
		}
	}
	stmt := Stmt{SQL: sqlPageAll, Args: []any{k.userID, k.version, k.lastRoom, k.lastSession, int64(PageSize)}}
	if k.roomID != "" {
		stmt = Stmt{SQL: sqlPageRoom, Args: append(stmt.Args, k.roomID)}
	}
	rows, err := k.db.Query(stmt)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		room, session := asString(r[0]), asString(r[1])
		if k.roomID == "" && (!k.anyRoom || room != k.openRoom) {
			if k.anyRoom {
				out = append(out, "}},"...)
			}
			out = appendJSONString(out, room)
			out = append(out, `:{"sessions":{`...)
			k.openRoom, k.anyRoom = room, true
		} else if k.lastSession != "" || k.lastRoom != "" {
			out = append(out, ',')
		}
		out = appendJSONString(out, session)
		out = append(out, ':')
		out = appendKeyData(out, r)
		k.lastRoom, k.lastSession = room, session
	}
	if len(rows) < PageSize {
		k.done = true
		if k.roomID == "" && k.anyRoom {
			out = append(out, "}}"...)
		}
		out = append(out, "}}"...)
	}
	return out, nil
}

// appendKeyData writes a stored row's KeyBackupData (the third column of keyColumns).
func appendKeyData(b []byte, r []any) []byte { return append(b, asString(r[2])...) }
