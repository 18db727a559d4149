package machine

import (
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/device/crosssigning"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
	"maps"
	"slices"
)

// Backup trust: a backup version is trusted when its auth_data is signed
// by our trusted master key or by one of our trusted devices (this one, or
// one cross-signing or the caller trusts), or when the private key held
// here matches its public key. Keys are only uploaded to a trusted one.

// BackupTrust is what VerifyBackup found.
type BackupTrust struct {
	Trusted bool
	// SignedByMaster: a valid signature by our trusted master key.
	SignedByMaster bool
	// SignedByDevices: our trusted devices with a valid signature.
	SignedByDevices []string
	// KeyMatches: the backup private key held here matches public_key.
	KeyMatches bool
	Version    string
	PublicKey  string
}

// VerifyBackup checks a backup version (the GET /room_keys/version answer).
func (m *Machine) VerifyBackup(versionInfo []byte) (*BackupTrust, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.verifyBackup(versionInfo)
}

func (m *Machine) verifyBackup(versionInfo []byte) (*BackupTrust, error) {
	v, err := jsonvalue.Parse(versionInfo)
	if err != nil {
		return nil, errcode.Context(err, "backup version")
	}
	o, err := jsonvalue.AsObject(v, "backup version")
	if err != nil {
		return nil, err
	}
	alg := o.String("algorithm")
	auth := o.Object("auth_data")
	pub := auth.String("public_key")
	version := o.OptString("version")
	if err := o.Err(); err != nil {
		return nil, err
	}
	if alg != backup.Algorithm {
		return nil, errcode.New(errcode.UnsupportedAlgorithm, "backup algorithm %q is not supported (only %s)", alg, backup.Algorithm)
	}
	t := &BackupTrust{Version: version, PublicKey: trimPad(pub)}
	var tv trustView
	if err := m.st.View(func(tx *store.Tx) (err error) { tv, err = m.loadTrustView(tx, m.user); return err }); err != nil {
		return nil, err
	}
	sigs, _ := auth.Map()["signatures"].(map[string]any)
	mine, _ := sigs[m.user].(map[string]any)
	if tv.cs.OwnIdentityTrusted() {
		master := tv.cs.OwnKeys.MasterKey(m.user)
		t.SignedByMaster = crosssigning.SignedBy(auth.Map(), m.user, master)
	}
	for _, keyID := range slices.Sorted(maps.Keys(mine)) {
		dev, ok := cutPrefix(keyID, "ed25519:")
		if !ok {
			continue
		}
		var ed string
		if dev == m.dev {
			ed = m.d.IdentityKeys().Ed25519
		} else if trust, _ := m.decide(tv, m.user, dev); trust == Trusted {
			info, found, err := m.d.Device(m.user, dev)
			if err != nil {
				return nil, err
			}
			if found {
				ed = info.Ed25519
			}
		}
		if ed == "" {
			continue
		}
		if ok, err := signing.Verify(auth.Map(), m.user, keyID, ed); err == nil && ok {
			t.SignedByDevices = append(t.SignedByDevices, dev)
		}
	}
	priv, held, err := m.d.LocalBackupKey()
	if err != nil {
		return nil, err
	}
	if held {
		p, err := backup.PublicKey(priv)
		clear(priv)
		t.KeyMatches = err == nil && trimPad(p) == t.PublicKey
	}
	t.Trusted = t.SignedByMaster || len(t.SignedByDevices) > 0 || t.KeyMatches
	return t, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return s, false
	}
	return s[len(prefix):], true
}

// EnableBackupVersion enables uploads to a backup version (the GET
// /room_keys/version answer) only when it is trusted (VerifyBackup);
// privateKey, when given, must match it (and so makes it trusted).
// UNTRUSTED_BACKUP otherwise: nothing is uploaded to it.
func (m *Machine) EnableBackupVersion(versionInfo []byte, privateKey []byte) (*BackupTrust, error) {
	m.mu.Lock()
	t, err := m.verifyBackup(versionInfo)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if t.Version == "" {
		return nil, errcode.New(errcode.BadInput, "the backup version has no version")
	}
	if privateKey != nil {
		p, err := backup.PublicKey(privateKey)
		if err != nil {
			return nil, err
		}
		if trimPad(p) != t.PublicKey {
			return nil, errcode.New(errcode.WrongKey, "the backup private key does not match the public key of version %s", t.Version)
		}
		t.KeyMatches, t.Trusted = true, true
	}
	if !t.Trusted {
		return t, errcode.New(errcode.UntrustedBackup, "backup version %s is signed by nobody we trust and its key is not held here: not uploading to it", t.Version)
	}
	return t, m.EnableBackup(t.Version, t.PublicKey, privateKey)
}

// SignBackupVersion adds our signatures to a backup version body ({algorithm,
// auth_data}): this device's and, when held, the master key's.
func (m *Machine) SignBackupVersion(body []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := jsonvalue.ParseObject(body)
	if err != nil {
		return nil, errcode.Context(err, "backup version body")
	}
	auth, ok := b["auth_data"].(map[string]any)
	if !ok {
		return nil, errcode.New(errcode.BadInput, "the backup version body has no auth_data")
	}
	if err := m.d.SignJSON(auth); err != nil {
		return nil, err
	}
	err = m.st.View(func(tx *store.Tx) error {
		k, err := m.heldKeys(tx)
		if err != nil {
			return err
		}
		defer k.Wipe()
		r, err := loadCrossSigning(tx)
		if err != nil {
			return err
		}
		if k.Master != nil && crosssigning.PublicKey(k.Master) == r[csTrustedMaster] {
			return crosssigning.SignAs(auth, m.user, k.Master)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return encodeJSON(b)
}
