package machine

import (
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Key backup: uploads in batches while a version is enabled, and fetches
// of single missing keys when the backup key is held.

// backupBatchSize is how many room keys one PUT /room_keys/keys carries.
const backupBatchSize = 200

type backupGet struct {
	req           Request
	room, session string
}

// EnableBackup makes version (public key from its auth_data) the backup
// room keys are uploaded to. privateKey, when given (32 bytes), must match
// the public key; it is kept so missing keys can be fetched from the
// backup (as is a key the device already holds for this version).
func (m *Machine) EnableBackup(version, publicKey string, privateKey []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if privateKey != nil {
		pub, err := backup.PublicKey(privateKey)
		if err != nil {
			return err
		}
		if trimPad(pub) != trimPad(publicKey) {
			return errcode.New(errcode.WrongKey, "the backup private key does not match the public key of version %s", version)
		}
	}
	if err := m.d.EnableBackup(version, publicKey); err != nil {
		return err
	}
	m.backupUpload, m.backupBatch, m.backupPaused = nil, nil, false
	if privateKey != nil {
		return m.d.SetLocalSecret(device.BackupSecretName, b64.Encode(privateKey))
	}
	return nil
}

// DisableBackup stops uploads.
func (m *Machine) DisableBackup() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.backupUpload, m.backupBatch = nil, nil
	return m.d.DisableBackup()
}

func (m *Machine) ensureBackupUpload() error {
	if m.backupUpload != nil || m.backupPaused {
		return nil
	}
	b, err := m.d.NextBackupBatch(backupBatchSize)
	if errcode.Of(err) == device.BackupNotEnabled || b == nil {
		return nil
	}
	if err != nil {
		return err
	}
	m.backupBatch = b
	m.backupUpload = &Request{
		ID: newID(), Type: BackupUpload, Method: "PUT",
		Path: clientPrefix + "/room_keys/keys?version=" + escape(b.Version),
		Body: b.Body,
	}
	return nil
}

// backupUploadSent marks a batch backed up. M_WRONG_ROOM_KEYS_VERSION (or
// the version being gone) disables the backup and says so.
func (m *Machine) backupUploadSent(id string, resp Response) ([]Event, error) {
	if m.backupUpload == nil || m.backupUpload.ID != id {
		return nil, nil
	}
	batch := m.backupBatch
	m.backupUpload, m.backupBatch = nil, nil
	if resp.ok() {
		return nil, m.d.MarkBackedUp(batch)
	}
	code, body := resp.matrixError()
	if code == "M_WRONG_ROOM_KEYS_VERSION" || (resp.Status == 404 && code == "M_NOT_FOUND") {
		if err := m.d.DisableBackup(); err != nil {
			return nil, err
		}
		var current any
		if v := body.OptString("current_version"); v != "" {
			current = v
		}
		return []Event{{"type": "backupVersionMismatch", "version": batch.Version, "currentVersion": current, "errcode": code}}, nil
	}
	m.backupPaused = true // try again after the next sync
	return nil, nil
}

// fetchFromBackup queues GET /room_keys/keys/{room}/{session} when a
// backup is enabled and its key held (once per session and process).
func (m *Machine) fetchFromBackup(room, session string) error {
	k := room + "\x00" + session
	if m.fetched[k] {
		return nil
	}
	version, pub, err := m.d.EnabledBackup()
	if err != nil || version == "" {
		return err
	}
	priv, held, err := m.d.LocalBackupKey()
	if err != nil || !held {
		return err
	}
	// The key held may be for another version (e.g. from secret storage).
	mine, err := backup.PublicKey(priv)
	clear(priv)
	if err != nil || trimPad(mine) != trimPad(pub) {
		return nil
	}
	m.fetched[k] = true
	id := newID()
	m.backupGets[id] = &backupGet{room: room, session: session, req: Request{
		ID: id, Type: BackupGet, Method: "GET",
		Path: clientPrefix + "/room_keys/keys/" + escape(room) + "/" + escape(session) + "?version=" + escape(version),
	}}
	return nil
}

// backupGetSent imports a key fetched from the backup.
func (m *Machine) backupGetSent(id string, resp Response) ([]Event, error) {
	g := m.backupGets[id]
	if g == nil {
		return nil, nil
	}
	delete(m.backupGets, id)
	if !resp.ok() {
		return nil, nil // 404: not in the backup
	}
	priv, held, err := m.d.LocalBackupKey()
	if err != nil || !held {
		return nil, err
	}
	defer clear(priv)
	entry, err := jsonvalue.ParseObject(resp.Body)
	if err != nil {
		return nil, errcode.Context(err, "backup key response")
	}
	body, err := encodeJSON(map[string]any{"rooms": map[string]any{g.room: map[string]any{"sessions": map[string]any{g.session: entry}}}})
	if err != nil {
		return nil, err
	}
	res, err := m.d.RestoreBackup(priv, body, nil)
	if err != nil && isStoreFailure(err) {
		return nil, err
	}
	if err != nil {
		return nil, nil // e.g. the backup moved to another key: nothing to import
	}
	if res.Imported == 0 {
		return nil, nil
	}
	return m.keyArrived(g.room, g.session, "backup", device.Imported)
}
