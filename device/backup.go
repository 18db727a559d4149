package device

import (
	"bytes"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"maps"
	"slices"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/store"
)

// BackupSecretName is the secret-storage name of the backup private key.
const BackupSecretName = "m.megolm_backup.v1"

// NewBackup is a backup version made by CreateBackupVersion.
type NewBackup struct {
	// Body is for POST /room_keys/version: {algorithm, auth_data} with
	// auth_data signed by this device.
	Body        []byte
	PrivateKey  []byte
	PublicKey   string
	RecoveryKey string
}

// CreateBackupVersion makes a backup key and the signed version to create
// on the server. The private key is also kept as the local copy of the
// m.megolm_backup.v1 secret; store it in secret storage too (StoreSecret),
// then call EnableBackup with the version the server returns.
func (d *Device) CreateBackupVersion() (*NewBackup, error) {
	priv := pk.GenerateKey()
	pub, err := backup.PublicKey(priv)
	if err != nil {
		return nil, err
	}
	rk, err := recoverykey.Encode(priv)
	if err != nil {
		return nil, err
	}
	nb := &NewBackup{PrivateKey: priv, PublicKey: pub, RecoveryKey: rk}
	err = d.st.Update(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		auth := map[string]any{"public_key": pub}
		msg, err := signing.SigningBytes(auth)
		if err != nil {
			return err
		}
		auth["signatures"] = map[string]any{d.opts.UserID: map[string]any{"ed25519:" + d.opts.DeviceID: rec.acct.Sign(msg)}}
		if nb.Body, err = encode(map[string]any{"algorithm": backup.Algorithm, "auth_data": auth}); err != nil {
			return err
		}
		return tx.Put(store.SecretKey(BackupSecretName), []byte(b64.Encode(priv)))
	})
	if err != nil {
		return nil, err
	}
	return nb, nil
}

// BackupTrust is what VerifyBackupAuthData found.
type BackupTrust struct {
	// Trusted: uploading keys to this backup is safe. Either a device in
	// the given device keys (or this device) signed auth_data, or the
	// private key held locally matches public_key.
	Trusted bool
	// SignedBy lists the device ids whose valid signatures were found.
	SignedBy []string
	// KeyMatches: the locally held private key matches public_key.
	KeyMatches bool
	PublicKey  string
}

// VerifyBackupAuthData checks a backup version (GET /room_keys/version)
// against the user's own devices that the caller trusts, given as a
// /keys/query response (only the own user's devices are looked at; each
// must be self-signed).
func (d *Device) VerifyBackupAuthData(versionInfo, trustedDeviceKeys []byte) (*BackupTrust, error) {
	v, err := jsonvalue.ParseAsObject(versionInfo, "backup version")
	if err != nil {
		return nil, err
	}
	alg := v.String("algorithm")
	auth := v.Object("auth_data")
	pub := auth.String("public_key")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if alg != backup.Algorithm {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "backup algorithm %q is not supported (only %s)", alg, backup.Algorithm)
	}
	if pub, err = b64.Canonical(pub, 32, "auth_data.public_key"); err != nil {
		return nil, err
	}
	devices := map[string]string{d.opts.DeviceID: d.identity.Ed25519}
	if trustedDeviceKeys != nil {
		q, err := jsonvalue.ParseAsObject(trustedDeviceKeys, "device keys")
		if err != nil {
			return nil, err
		}
		dk, _ := q.OptObject("device_keys")
		if err := q.Err(); err != nil {
			return nil, err
		}
		own, _ := dk.Map()[d.opts.UserID].(map[string]any)
		for _, dev := range slices.Sorted(maps.Keys(own)) {
			obj, ok := own[dev].(map[string]any)
			if !ok {
				return nil, badInput("device_keys[%s][%s] must be an object", d.opts.UserID, dev)
			}
			info, err := verifyDeviceKeys(obj, d.opts.UserID, dev)
			if err != nil {
				return nil, err
			}
			if dev == d.opts.DeviceID && info.Ed25519 != d.identity.Ed25519 {
				return nil, errcode.New(errcode.BadSignature, "the device keys given for this device (%s) are not its own", dev)
			}
			devices[dev] = info.Ed25519
		}
	}
	t := &BackupTrust{PublicKey: pub}
	for _, dev := range slices.Sorted(maps.Keys(anyMap(devices))) {
		ok, err := signing.Verify(auth.Map(), d.opts.UserID, "ed25519:"+dev, devices[dev])
		if err != nil {
			return nil, err
		}
		if ok {
			t.SignedBy = append(t.SignedBy, dev)
		}
	}
	err = d.st.View(func(tx *store.Tx) error {
		priv, found, err := localBackupKey(tx)
		if err != nil || !found {
			return err
		}
		defer clear(priv)
		p, err := backup.PublicKey(priv)
		t.KeyMatches = err == nil && p == pub
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.Trusted = len(t.SignedBy) > 0 || t.KeyMatches
	return t, nil
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// localBackupKey is the locally held m.megolm_backup.v1 secret, decoded:
// the caller wipes it after use.
func localBackupKey(tx *store.Tx) ([]byte, bool, error) {
	raw, found, err := tx.Get(store.SecretKey(BackupSecretName))
	if err != nil || !found {
		return nil, false, err
	}
	priv, err := decodeBackupSecret(string(raw))
	if err != nil {
		return nil, false, damaged("backup key", err)
	}
	return priv, true, nil
}

// backupState is the enabled backup version.
type backupState struct {
	version, publicKey string
}

func loadBackup(tx *store.Tx) (backupState, error) {
	raw, found, err := tx.Get(store.BackupKey())
	if err != nil {
		return backupState{}, err
	}
	if !found || tx.BackupVersion() == "" {
		return backupState{}, errcode.New(BackupNotEnabled, "no backup version is enabled: call EnableBackup with the server's version first")
	}
	r := bincodec.NewReader(raw, "backup record")
	r.Uvarint()
	b := backupState{version: r.String("backup version"), publicKey: r.String("backup public key")}
	if err := r.Finish(); err != nil {
		return backupState{}, damaged("backup state", err)
	}
	return b, nil
}

// EnableBackup makes version (with public key publicKey, from its
// auth_data; check it with VerifyBackupAuthData first) the backup that
// room keys are uploaded to. Changing version makes every key pending again.
func (d *Device) EnableBackup(version, publicKey string) error {
	if version == "" {
		return badInput("backup version is required")
	}
	pub, err := b64.Canonical(publicKey, 32, "backup public key")
	if err != nil {
		return err
	}
	return d.st.Update(func(tx *store.Tx) error {
		var w bincodec.Writer
		w.Uvarint(1)
		w.String(version)
		w.String(pub)
		if err := tx.Put(store.BackupKey(), w.B); err != nil {
			return err
		}
		return tx.SetBackupVersion(version)
	})
}

// DisableBackup stops backing up (the server's backup was deleted).
func (d *Device) DisableBackup() error {
	return d.st.Update(func(tx *store.Tx) error {
		if err := tx.Delete(store.BackupKey()); err != nil {
			return err
		}
		return tx.SetBackupVersion("")
	})
}

// BackupBatch is a body for PUT /room_keys/keys?version=Version.
type BackupBatch struct {
	Version string
	Body    []byte
	Count   int
	// what was encrypted, so MarkBackedUp can tell if a key changed since
	sent []store.InboundSession
}

// NextBackupBatch encrypts up to max room keys not yet in the enabled
// backup and returns the upload body, or nil when all are backed up.
func (d *Device) NextBackupBatch(max int) (*BackupBatch, error) {
	if max < 1 {
		return nil, badInput("batch size must be at least 1, got %d", max)
	}
	var batch *BackupBatch
	err := d.st.View(func(tx *store.Tx) error {
		b, err := loadBackup(tx)
		if err != nil {
			return err
		}
		pending, err := tx.PendingBackup(max)
		if err != nil || len(pending) == 0 {
			return err
		}
		rooms := map[string]any{}
		for _, ss := range pending {
			in, err := decodeInbound(ss)
			if err != nil {
				return err
			}
			data, err := in.sessionData(false)
			if err != nil {
				return err
			}
			plain, err := encode(data)
			if err != nil {
				return err
			}
			enc, err := backup.Encrypt(b.publicKey, plain)
			if err != nil {
				return err
			}
			forwarded := 0
			if in.imported {
				forwarded = 1
			}
			room, _ := rooms[ss.RoomID].(map[string]any)
			if room == nil {
				room = map[string]any{"sessions": map[string]any{}}
				rooms[ss.RoomID] = room
			}
			room["sessions"].(map[string]any)[ss.SessionID] = map[string]any{
				"first_message_index": int(in.s.FirstKnownIndex()),
				"forwarded_count":     forwarded,
				"is_verified":         false,
				"session_data":        map[string]any{"ciphertext": enc.Ciphertext, "ephemeral": enc.Ephemeral, "mac": enc.MAC},
			}
		}
		body, err := encode(map[string]any{"rooms": rooms})
		if err != nil {
			return err
		}
		batch = &BackupBatch{Version: b.version, Body: body, Count: len(pending), sent: pending}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return batch, nil
}

// MarkBackedUp records that a batch was uploaded. A key that changed since
// the batch was made (a better copy arrived) stays pending.
func (d *Device) MarkBackedUp(batch *BackupBatch) error {
	if batch == nil {
		return badInput("no batch given")
	}
	return d.st.Update(func(tx *store.Tx) error {
		keys := make([]store.Key, 0, len(batch.sent))
		for _, ss := range batch.sent {
			now, found, err := tx.GetInbound(ss.RoomID, ss.SessionID)
			if err != nil {
				return err
			}
			if found && bytes.Equal(now.State, ss.State) {
				keys = append(keys, store.InboundKey(ss.RoomID, ss.SessionID))
			}
		}
		return tx.MarkBackedUp(batch.Version, keys...)
	})
}

// RoomKeyCounts returns how many room keys are held and how many of them are
// in the enabled backup.
func (d *Device) RoomKeyCounts() (total, backedUp uint64, err error) {
	err = d.st.View(func(tx *store.Tx) error {
		c := tx.InboundCounts(tx.BackupVersion())
		total, backedUp = c.Total, c.BackedUp
		return nil
	})
	return total, backedUp, err
}
