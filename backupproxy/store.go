package backupproxy

import (
	"strconv"
)

// Stmt is one SQL statement with positional (?N) arguments: strings and int64.
type Stmt struct {
	SQL  string
	Args []any
}

// DB is one SQL database (a D1 binding under workerd). Rows come back as
// arrays of column values: string, float64 (exact below 2^53) or nil.
type DB interface {
	Query(s Stmt) ([][]any, error)
	// Batch runs the statements as one transaction (D1 batches are) and
	// returns the rows of the last one.
	Batch(ss []Stmt) ([][]any, error)
}

// The SQL lives here and in migrations/ only. Every write is one statement or
// one batch (D1 has no interactive transactions); each is idempotent or
// guarded so a retry after a failure converges on the same state, and the
// per-version count and etag are kept by triggers in the same statement as
// the rows they describe.
const (
	sqlCurrentVersion = `SELECT version, algorithm, auth_data, key_count, key_hash FROM backup_versions
WHERE user_id = ?1 AND deleted = 0 ORDER BY version DESC LIMIT 1`
	sqlVersionByID = `SELECT version, algorithm, auth_data, key_count, key_hash FROM backup_versions
WHERE user_id = ?1 AND version = ?2 AND deleted = 0`
	sqlCreateVersion = `INSERT INTO backup_versions (user_id, version, algorithm, auth_data)
SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM backup_versions WHERE user_id = ?1
RETURNING version`
	sqlUpdateAuthData = `UPDATE backup_versions SET auth_data = ?3
WHERE user_id = ?1 AND version = ?2 AND deleted = 0`
	sqlMarkVersionDeleted = `UPDATE backup_versions SET deleted = 1 WHERE user_id = ?1 AND version = ?2`
	sqlDeleteVersionKeys  = `DELETE FROM backup_keys WHERE user_id = ?1 AND version = ?2`
	// sqlVersionState answers after a keys write: count, etag, and whether the
	// version is still the current one (a concurrent create or delete makes
	// the guarded upsert write nothing).
	sqlVersionState = `SELECT key_count, key_hash,
  version = (SELECT MAX(version) FROM backup_versions WHERE user_id = ?1 AND deleted = 0) AS is_current
FROM backup_versions WHERE user_id = ?1 AND version = ?2 AND deleted = 0`
	// sqlUpsertKeys stores a JSON array of rows [room, session, fmi, fc,
	// verified, session_data, hash], only into the user's current version,
	// keeping the better key as the spec orders it: verified over not, then
	// lower first_message_index, then lower forwarded_count; on a tie the
	// stored key stays (and the etag with it).
	sqlUpsertKeys = `INSERT INTO backup_keys (user_id, version, room_id, session_id,
  first_message_index, forwarded_count, is_verified, session_data, row_hash)
SELECT ?1, ?2, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
  json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'),
  json_extract(j.value, '$[5]'), json_extract(j.value, '$[6]')
FROM json_each(?3) AS j
WHERE ?2 = (SELECT MAX(version) FROM backup_versions WHERE user_id = ?1 AND deleted = 0)
ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
  first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
  is_verified = excluded.is_verified, session_data = excluded.session_data, row_hash = excluded.row_hash
WHERE excluded.is_verified > backup_keys.is_verified
  OR (excluded.is_verified = backup_keys.is_verified
      AND (excluded.first_message_index < backup_keys.first_message_index
           OR (excluded.first_message_index = backup_keys.first_message_index
               AND excluded.forwarded_count < backup_keys.forwarded_count)))`
	sqlDeleteAllKeys     = `DELETE FROM backup_keys WHERE user_id = ?1 AND version = ?2`
	sqlDeleteRoomKeys    = `DELETE FROM backup_keys WHERE user_id = ?1 AND version = ?2 AND room_id = ?3`
	sqlDeleteSessionKeys = `DELETE FROM backup_keys WHERE user_id = ?1 AND version = ?2 AND room_id = ?3 AND session_id = ?4`
	// keyColumns: room, session and the row's KeyBackupData JSON, built by
	// SQLite so a page crosses into Go as three strings per key.
	keyColumns = `room_id, session_id, '{"first_message_index":' || first_message_index ||
  ',"forwarded_count":' || forwarded_count ||
  ',"is_verified":' || CASE is_verified WHEN 0 THEN 'false' ELSE 'true' END ||
  ',"session_data":' || session_data || '}'`
	// Keyset pages in (room_id, session_id) order, so a GET of 100,000 keys
	// streams in a bounded number of queries and bounded memory.
	sqlPageAll = `SELECT ` + keyColumns + ` FROM backup_keys
WHERE user_id = ?1 AND version = ?2 AND (room_id, session_id) > (?3, ?4)
ORDER BY room_id, session_id LIMIT ?5`
	sqlPageRoom = `SELECT ` + keyColumns + ` FROM backup_keys
WHERE user_id = ?1 AND version = ?2 AND room_id = ?6 AND (room_id, session_id) > (?3, ?4)
ORDER BY room_id, session_id LIMIT ?5`
	// sqlVersionAndSession answers GET of one session in one query: no row
	// when the version is unknown or deleted, a NULL key when the session has
	// none (the key's JSON is NULL when its columns are).
	sqlVersionAndSession = `SELECT '{"first_message_index":' || k.first_message_index ||
  ',"forwarded_count":' || k.forwarded_count ||
  ',"is_verified":' || CASE k.is_verified WHEN 0 THEN 'false' ELSE 'true' END ||
  ',"session_data":' || k.session_data || '}'
FROM backup_versions AS v LEFT JOIN backup_keys AS k
  ON k.user_id = v.user_id AND k.version = v.version AND k.room_id = ?3 AND k.session_id = ?4
WHERE v.user_id = ?1 AND v.version = ?2 AND v.deleted = 0`
)

// Chunk limits for one upsert statement: at most 1,000 keys and well under
// D1's 2 MB cap on one bound string.
const (
	maxKeysPerStatement  = 1000
	maxBytesPerStatement = 1 << 20
)

// upsertStatements splits rows into guarded upsert statements.
func upsertStatements(userID string, version int64, rows []KeyRow) []Stmt {
	var out []Stmt
	var buf []byte
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		buf = append(buf, ']')
		out = append(out, Stmt{SQL: sqlUpsertKeys, Args: []any{userID, version, string(buf)}})
		buf, n = nil, 0
	}
	for _, r := range rows {
		row := appendRowJSON(nil, r)
		if n == maxKeysPerStatement || (n > 0 && len(buf)+len(row)+2 > maxBytesPerStatement) {
			flush()
		}
		if n == 0 {
			buf = append(buf, '[')
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, row...)
		n++
	}
	flush()
	return out
}

func appendRowJSON(b []byte, r KeyRow) []byte {
	b = append(b, '[')
	b = appendJSONString(b, r.RoomID)
	b = append(b, ',')
	b = appendJSONString(b, r.SessionID)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.FirstMessageIndex, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.ForwardedCount, 10)
	if r.IsVerified {
		b = append(b, ",1,"...)
	} else {
		b = append(b, ",0,"...)
	}
	b = append(b, r.SessionData...)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Hash(), 10)
	return append(b, ']')
}

// versionRow is a backup_versions row as the version endpoints read it.
type versionRow struct {
	Version   int64
	Algorithm string
	AuthData  string
	Count     int64
	KeyHash   int64
}

func scanVersion(rows [][]any) (versionRow, bool) {
	if len(rows) == 0 || len(rows[0]) < 5 {
		return versionRow{}, false
	}
	r := rows[0]
	return versionRow{Version: asInt(r[0]), Algorithm: asString(r[1]), AuthData: asString(r[2]), Count: asInt(r[3]), KeyHash: asInt(r[4])}, true
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
