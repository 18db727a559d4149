package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// RestoreResult counts what a restore or key import did.
type RestoreResult struct {
	Total    int
	Imported int
	// Skipped: a copy at least as good was already held.
	Skipped int
	// Failures counts entries that could not be used, by error code
	// (WRONG_KEY, BAD_MESSAGE, BAD_INPUT, UNSUPPORTED_ALGORITHM, ...);
	// copies that disagree with a held session count as ROOM_KEY_CONFLICT.
	Failures map[errcode.Code]int
}

// Progress is called now and then with the stage ("decrypt", then
// "store") and how many of total entries are done.
type Progress func(stage string, done, total int)

// decryptChunk is how many entries are decrypted between progress calls.
const decryptChunk = 1000

// RestoreBackup decrypts a GET /room_keys/keys?version= body of the enabled
// backup with its private key and stores every room key, keeping better
// copies already held. A key that does not match the enabled version's
// public key is refused up front with WRONG_KEY. Restored keys count as
// backed up. All keys are written in one transaction (the store writes
// it a segment at a time), so a failed restore leaves the store as it was.
func (d *Device) RestoreBackup(privateKey []byte, roomKeysBody []byte, onProgress Progress) (*RestoreResult, error) {
	r, err := d.BeginRestore(privateKey)
	if err != nil {
		return nil, err
	}
	entries, err := backup.ParseRoomKeys(roomKeysBody)
	if err != nil {
		return nil, err
	}
	held, err := d.heldAsGood(entries)
	if err != nil {
		return nil, err
	}
	r.res.Total = len(entries)
	for i, e := range entries {
		if held[i] {
			r.res.Skipped++
		} else if in, err := decryptEntry(privateKey, e); err != nil {
			r.res.Failures[errcode.Of(err)]++
		} else {
			r.keys = append(r.keys, in.record(false))
		}
		if onProgress != nil && ((i+1)%decryptChunk == 0 || i+1 == len(entries)) {
			onProgress("decrypt", i+1, len(entries))
		}
	}
	return r.Commit(onProgress)
}

// Restore is a backup restore whose entries are decrypted elsewhere (the JS
// loader uses the host's native X25519, in workers) and handed over with
// Add, or with AddPrepared when the other instance also checked them;
// Commit stores them in one transaction.
type Restore struct {
	d       *Device
	version string
	key     []byte
	// keys are kept encoded: byte slices the garbage collector need not
	// scan, which matters under wasm with 100,000 of them.
	keys []store.InboundSession
	res  *RestoreResult
}

// BeginRestore checks privateKey against the enabled backup (WRONG_KEY,
// BACKUP_NOT_ENABLED) and starts a restore.
func (d *Device) BeginRestore(privateKey []byte) (*Restore, error) {
	pub, err := backup.PublicKey(privateKey)
	if err != nil {
		return nil, err
	}
	var b backupState
	if err := d.st.View(func(tx *store.Tx) (err error) { b, err = loadBackup(tx); return err }); err != nil {
		return nil, err
	}
	if pub != b.publicKey {
		return nil, errcode.New(errcode.WrongKey, "this key's public key %s is not the backup's %s: wrong recovery key or passphrase", pub, b.publicKey)
	}
	return &Restore{d: d, version: b.version, key: append([]byte{}, privateKey...), res: &RestoreResult{Failures: map[errcode.Code]int{}}}, nil
}

// add takes one decrypted entry: its place in the body and its plaintext
// session data (a JSON object). A malformed one is counted as a failure.
// Only tests and benchmarks add this way; the JS restore prepares entries in
// workers and hands the records to AddPrepared.
func (r *Restore) add(roomID, sessionID string, sessionData []byte) {
	r.res.Total++
	rec, err := PrepareRestored(roomID, sessionID, sessionData)
	if err != nil {
		r.res.Failures[errcode.Of(err)]++
		return
	}
	r.keys = append(r.keys, rec)
}

// PrepareRestored parses and checks one decrypted backup entry's session
// data into the record a restore stores. It needs no device, so worker
// threads' instances run it (and the point check on the session's signing
// key, most of its cost) in parallel for the main thread's restore.
func PrepareRestored(roomID, sessionID string, sessionData []byte) (store.InboundSession, error) {
	in, err := parseDecrypted(sessionData, roomID, sessionID)
	if err != nil {
		return store.InboundSession{}, err
	}
	return in.record(false), nil
}

// AddPrepared takes a record made by PrepareRestored, perhaps in another
// instance. It is checked to decode and to match its ids, cheaply: the
// signing key was checked when it was prepared.
func (r *Restore) AddPrepared(rec store.InboundSession) {
	r.res.Total++
	in, err := decodeInbound(rec)
	switch {
	case err != nil:
	case checkRoomID(rec.RoomID) != nil:
		err = checkRoomID(rec.RoomID)
	case in.s.SessionID() != rec.SessionID || in.s.FirstKnownIndex() != rec.FirstKnownIndex:
		err = badInput("prepared room key %.64q does not match its session", rec.SessionID)
	}
	if err != nil {
		r.res.Failures[errcode.Of(err)]++
		return
	}
	rec.BackedUp = false
	r.keys = append(r.keys, rec)
}

// AddFailure counts an entry that could not be decrypted.
func (r *Restore) AddFailure(code errcode.Code) {
	r.res.Total++
	r.res.Failures[code]++
}

// Abort ends a restore without storing anything and wipes its copy of
// the private key, as Commit does.
func (r *Restore) Abort() {
	clear(r.key)
	r.keys, r.res = nil, nil
}

// Commit stores the entries in one transaction.
func (r *Restore) Commit(onProgress Progress) (*RestoreResult, error) {
	if r.keys == nil && r.res == nil {
		return nil, badInput("the restore was already committed")
	}
	res := r.res
	err := r.d.storeKeys(r.keys, res, r.version, r.key, onProgress)
	clear(r.key)
	r.keys, r.res = nil, nil
	if err != nil {
		return nil, err
	}
	return res, nil
}

// heldAsGood marks the entries whose session is already held from an index
// no later than the entry's first_message_index, so a repeated restore does
// not pay an X25519 per key. The index is the server's unauthenticated
// claim; a server lying about it can only withhold a key, which it can do
// anyway.
func (d *Device) heldAsGood(entries []backup.Pending) ([]bool, error) {
	held := make([]bool, len(entries))
	err := d.st.View(func(tx *store.Tx) error {
		if c := tx.InboundCounts(""); c.Total == 0 {
			return nil
		}
		for i, e := range entries {
			if e.Err != nil || e.Data.FirstMessageIndex < 0 {
				continue
			}
			ss, found, err := tx.GetInbound(e.RoomID, e.SessionID)
			if errcode.Of(err) == errcode.BadInput {
				continue // an id the store cannot hold; decryptEntry reports it
			}
			if err != nil {
				return err
			}
			held[i] = found && int64(ss.FirstKnownIndex) <= int64(e.Data.FirstMessageIndex)
		}
		return nil
	})
	return held, err
}

func decryptEntry(priv []byte, e backup.Pending) (*inbound, error) {
	if e.Err != nil {
		return nil, e.Err
	}
	plain, err := backup.Decrypt(priv, e.Data.SessionData)
	if err != nil {
		return nil, err
	}
	return parseDecrypted(plain, e.RoomID, e.SessionID)
}

// parseDecrypted reads decrypted session data: BAD_MESSAGE if it is not
// JSON, BAD_INPUT (or another code) if it is not a usable room key.
func parseDecrypted(plain []byte, roomID, sessionID string) (*inbound, error) {
	v, err := jsonvalue.Parse(plain)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadMessage, err, "decrypted session data is not JSON")
	}
	o, err := jsonvalue.AsObject(v, "session data")
	if err != nil {
		return nil, err
	}
	return parseSessionData(o, roomID, sessionID)
}

// storeKeys writes imported keys in one transaction. backupVersion, when
// not empty, marks them as already in that backup (and the backup key is
// kept locally).
func (d *Device) storeKeys(keys []store.InboundSession, res *RestoreResult, backupVersion string, backupKey []byte, onProgress Progress) error {
	imported, skipped, conflicts := 0, 0, 0
	err := d.st.Update(func(tx *store.Tx) error {
		imported, skipped, conflicts = 0, 0, 0
		inBackup := backupVersion != "" && tx.BackupVersion() == backupVersion
		for i, rec := range keys {
			out, err := keepRecord(tx, rec, inBackup)
			switch {
			case errcode.Of(err) == KeyConflict:
				conflicts++
			case err != nil:
				return err
			case out == Imported:
				imported++
			default:
				skipped++
			}
			if onProgress != nil && ((i+1)%decryptChunk == 0 || i+1 == len(keys)) {
				onProgress("store", i+1, len(keys))
			}
		}
		if backupKey != nil {
			if _, found, err := tx.Get(store.SecretKey(BackupSecretName)); err != nil || found {
				return err
			}
			return tx.Put(store.SecretKey(BackupSecretName), []byte(b64.Encode(backupKey)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.Imported += imported
	res.Skipped += skipped
	if conflicts > 0 {
		res.Failures[KeyConflict] += conflicts
	}
	return nil
}
