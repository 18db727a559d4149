package machine

import (
	"github.com/mxcrypto/mxcrypto/device/crosssigning"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Cross-signing of this user: bootstrap (new keys published with the
// caller's user-interactive auth), restore (the private keys from secret
// storage or another device, checked against the published ones), this
// device signed with the self-signing key, other users verified with the
// user-signing key. The private keys are kept as this device's local
// secrets (m.cross_signing.*), so secret requests from our trusted devices
// are answered with them like any other secret.

// Request types of cross-signing.
const (
	// SigningKeysUpload: POST /keys/device_signing/upload, returned by
	// BootstrapCrossSigning only (it needs user-interactive auth: the
	// caller adds "auth" to the body and marks it sent).
	SigningKeysUpload = "signing_keys_upload"
	// SignaturesUpload: POST /keys/signatures/upload (in OutgoingRequests).
	SignaturesUpload = "signatures_upload"
)

var crossSigningKey = recordKey("crosssigning")

// Fields of the cross-signing record.
const (
	csTrustedMaster = "trustedMaster" // our master public key whose private half we hold or checked
	csPendingID     = "pendingId"     // the bootstrap upload not yet answered
	csPendingPrefix = "pending."      // + usage: its private keys (seed, base64)
)

func loadCrossSigning(tx *store.Tx) (strRecord, error) {
	r := strRecord{}
	_, err := getRecord(tx, crossSigningKey, &r)
	if r == nil {
		r = strRecord{}
	}
	return r, err
}

func errNoCrossSigning(format string, args ...any) error {
	return errcode.New(errcode.NoCrossSigning, format, args...)
}

// BootstrapCrossSigning makes new cross-signing keys and returns the
// /keys/device_signing/upload request publishing them. They replace the
// current ones only once that request is marked sent with success; then
// this device and the master key sign each other (a signatures upload is
// queued) and the private keys become local secrets (put them in secret
// storage with CrossSigningSecretsForStorage). Calling it again before
// that replaces the pending keys.
func (m *Machine) BootstrapCrossSigning() (*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := crosssigning.Generate()
	defer k.Wipe()
	body, err := crosssigning.DeviceSigningUpload(m.user, k)
	if err != nil {
		return nil, err
	}
	raw, err := encodeJSON(body)
	if err != nil {
		return nil, err
	}
	req := &Request{ID: newID(), Type: SigningKeysUpload, Method: "POST", Path: clientPrefix + "/keys/device_signing/upload", Body: raw}
	err = m.st.Update(func(tx *store.Tx) error {
		r, err := loadCrossSigning(tx)
		if err != nil {
			return err
		}
		r[csPendingID] = req.ID
		for _, u := range crosssigning.Usages {
			r[csPendingPrefix+u] = k.Secret(u)
		}
		return putRecord(tx, crossSigningKey, &r)
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// signingKeysSent makes the pending keys current once the server took them.
func (m *Machine) signingKeysSent(id string, resp Response) ([]Event, error) {
	var k *crosssigning.Keys
	err := m.st.Update(func(tx *store.Tx) error {
		r, err := loadCrossSigning(tx)
		if err != nil || r[csPendingID] != id || id == "" {
			return err
		}
		if !resp.ok() {
			return nil // e.g. 401: the caller retries with auth, then marks it again
		}
		if k, err = crosssigning.FromSecrets(r[csPendingPrefix+crosssigning.Master], r[csPendingPrefix+crosssigning.SelfSigning], r[csPendingPrefix+crosssigning.UserSigning]); err != nil {
			return errcode.Wrap(errcode.BadPickle, err, "stored pending cross-signing keys are damaged")
		}
		for _, u := range crosssigning.Usages {
			delete(r, csPendingPrefix+u)
		}
		delete(r, csPendingID)
		r[csTrustedMaster] = crosssigning.PublicKey(k.Master)
		for i, name := range crosssigning.SecretNames {
			if err := tx.Put(store.SecretKey(name), []byte(k.Secret(crosssigning.Usages[i]))); err != nil {
				return err
			}
		}
		return putRecord(tx, crossSigningKey, &r)
	})
	if err != nil || k == nil {
		return nil, err
	}
	defer k.Wipe()
	master := crosssigning.KeyObject(m.user, crosssigning.Master, crosssigning.PublicKey(k.Master))
	if err := m.queueSelfSignatures(k, master); err != nil {
		return nil, err
	}
	return []Event{{"type": "crossSigningChanged", "masterKey": crosssigning.PublicKey(k.Master)}}, nil
}

// queueSelfSignatures queues the upload of this device signed by the
// self-signing key and of the master key signed by this device, and makes
// our own keys outdated (so the new signatures are read back).
func (m *Machine) queueSelfSignatures(k *crosssigning.Keys, master map[string]any) error {
	signed := map[string]map[string]any{}
	if k.SelfSigning != nil {
		dk, err := m.d.DeviceKeys()
		if err != nil {
			return err
		}
		dev := withoutSignatures(dk)
		if err := crosssigning.SignAs(dev, m.user, k.SelfSigning); err != nil {
			return err
		}
		signed[m.dev] = dev
	}
	if master != nil {
		mk := withoutSignatures(master)
		if err := m.d.SignJSON(mk); err != nil {
			return err
		}
		signed[crosssigning.PublicOf(master, m.user, crosssigning.Master)] = mk
	}
	return m.queueSignatures(map[string]map[string]map[string]any{m.user: signed})
}

func withoutSignatures(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "signatures" && k != "unsigned" {
			out[k] = v
		}
	}
	return out
}

// queueSignatures adds a signatures upload to the outbox.
func (m *Machine) queueSignatures(signed map[string]map[string]map[string]any) error {
	body, err := crosssigning.SignaturesUpload(signed)
	if err != nil {
		return err
	}
	req := Request{ID: newID(), Type: SignaturesUpload, Method: "POST", Path: clientPrefix + "/keys/signatures/upload", Body: body}
	return m.st.Update(func(tx *store.Tx) error { return queue(tx, req) })
}

// signaturesSent drops a sent signatures upload and makes the users whose
// keys it signed outdated; failures the server lists are reported.
func (m *Machine) signaturesSent(id string, resp Response) ([]Event, error) {
	var req *Request
	err := m.st.View(func(tx *store.Tx) error {
		box, err := loadOutbox(tx)
		for i := range box {
			if box[i].ID == id {
				req = &box[i]
			}
		}
		return err
	})
	if err != nil || req == nil {
		return nil, err
	}
	if err := m.toDeviceSent(id, resp); err != nil {
		return nil, err
	}
	var events []Event
	if b, err := jsonvalue.ParseObject(req.Body); err == nil {
		for u := range b {
			if err := m.markOutdated(u); err != nil {
				return nil, err
			}
		}
	}
	if !resp.ok() {
		return append(events, Event{"type": "signatureUploadFailed", "status": resp.Status, "body": string(resp.Body)}), nil
	}
	if o, err := jsonvalue.ParseObject(resp.Body); err == nil {
		if f, ok := o["failures"].(map[string]any); ok && len(f) > 0 {
			raw, _ := encodeJSON(f)
			events = append(events, Event{"type": "signatureUploadFailed", "status": 200, "body": string(raw)})
		}
	}
	return events, nil
}

// heldKeys reads the cross-signing private keys held as local secrets.
func (m *Machine) heldKeys(tx *store.Tx) (*crosssigning.Keys, error) {
	var s [3]string
	for i, name := range crosssigning.SecretNames {
		raw, _, err := tx.Get(store.SecretKey(name))
		if err != nil {
			return nil, err
		}
		s[i] = string(raw)
	}
	return crosssigning.FromSecrets(s[0], s[1], s[2])
}

// CrossSigningStatus says which private keys are held here and whether
// they are the published ones.
type CrossSigningStatus struct {
	// Published: our user has a master key on the server (as last queried).
	Published bool
	MasterKey string
	// HasMaster, HasSelfSigning, HasUserSigning: held here.
	HasMaster, HasSelfSigning, HasUserSigning bool
	// Trusted: the published master key is the one we trust.
	Trusted bool
}

// CrossSigningStatus reports the state of our own cross-signing.
func (m *Machine) CrossSigningStatus() (*CrossSigningStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := &CrossSigningStatus{}
	err := m.st.View(func(tx *store.Tx) error {
		v, err := m.loadTrustView(tx, m.user)
		if err != nil {
			return err
		}
		k, err := m.heldKeys(tx)
		if err != nil {
			return err
		}
		defer k.Wipe()
		out.MasterKey = v.cs.OwnKeys.MasterKey(m.user)
		out.Published = out.MasterKey != ""
		out.HasMaster, out.HasSelfSigning, out.HasUserSigning = k.Master != nil, k.SelfSigning != nil, k.UserSigning != nil
		out.Trusted = v.cs.OwnIdentityTrusted()
		return nil
	})
	return out, err
}

// ImportCrossSigningKeys takes the cross-signing private keys this device
// now holds as local secrets (from secret storage, GetSecret, or another
// device, m.secret.send) into use: each must match the published public
// key (WRONG_KEY otherwise; NO_CROSS_SIGNING when nothing is published or
// no master or self-signing key is held). Then the master key is trusted
// and this device signed with the self-signing key (an upload is queued).
func (m *Machine) ImportCrossSigningKeys() (*CrossSigningStatus, error) {
	m.mu.Lock()
	err := m.importCrossSigning(nil)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return m.CrossSigningStatus()
}

// importCrossSigning imports the held keys, or (vals: secret name → value)
// the given ones, kept as local secrets in the same commit as the import.
func (m *Machine) importCrossSigning(vals map[string]string) error {
	var k *crosssigning.Keys
	defer func() { k.Wipe() }()
	var master map[string]any
	err := m.st.Update(func(tx *store.Tx) error {
		own, err := loadIdentity(tx, m.user)
		if err != nil {
			return err
		}
		pub := own.published()
		if pub.MasterKey(m.user) == "" {
			return errNoCrossSigning("%s has no published cross-signing keys (query them first)", m.user)
		}
		if vals != nil {
			k, err = crosssigning.FromSecrets(vals[crosssigning.MasterSecret], vals[crosssigning.SelfSigningSecret], vals[crosssigning.UserSigningSecret])
		} else {
			k, err = m.heldKeys(tx)
		}
		if err != nil {
			return err
		}
		if k.SelfSigning == nil && k.Master == nil {
			return errNoCrossSigning("no cross-signing private key is held on this device")
		}
		checks := []struct {
			usage string
			want  string
		}{
			{crosssigning.Master, pub.MasterKey(m.user)},
			{crosssigning.SelfSigning, crosssigning.PublicOf(pub.SelfSigning, m.user, crosssigning.SelfSigning)},
			{crosssigning.UserSigning, crosssigning.PublicOf(pub.UserSigning, m.user, crosssigning.UserSigning)},
		}
		for _, c := range checks {
			if priv := k.Key(c.usage); priv != nil && crosssigning.PublicKey(priv) != c.want {
				return errcode.New(errcode.WrongKey, "the %s key held here does not match the published one", c.usage)
			}
		}
		// Without the master key, trust the published one only when the
		// held self-signing key is the one it signed.
		if k.Master == nil && pub.SelfSigningKey(m.user) == "" {
			return errcode.New(errcode.WrongKey, "the published self-signing key is not signed by the master key")
		}
		r, err := loadCrossSigning(tx)
		if err != nil {
			return err
		}
		r[csTrustedMaster] = pub.MasterKey(m.user)
		master = pub.Master
		for name, v := range vals {
			if err := tx.Put(store.SecretKey(name), []byte(v)); err != nil {
				return err
			}
		}
		return putRecord(tx, crossSigningKey, &r)
	})
	if err != nil {
		return err
	}
	return m.queueSelfSignatures(k, master)
}

// RestoreCrossSigning decrypts the three secrets from their account-data
// contents (name → content; the secret-storage key keyID/key) into local
// secrets and imports them (ImportCrossSigningKeys). A wrong key is BAD_MAC
// and changes nothing.
func (m *Machine) RestoreCrossSigning(accountData map[string][]byte, keyID string, key []byte) (*CrossSigningStatus, error) {
	m.mu.Lock()
	vals := map[string]string{}
	var err error
	for _, name := range crosssigning.SecretNames {
		c := accountData[name]
		if c == nil {
			continue
		}
		if vals[name], err = m.d.DecryptSecret(name, c, keyID, key); err != nil {
			break
		}
	}
	if err == nil && vals[crosssigning.MasterSecret] == "" && vals[crosssigning.SelfSigningSecret] == "" {
		err = errNoCrossSigning("secret storage holds no cross-signing keys")
	}
	if err == nil {
		err = m.importCrossSigning(vals)
	}
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return m.CrossSigningStatus()
}

// CrossSigningSecretsForStorage encrypts the cross-signing private keys
// held here for secret storage (key keyID/key): account-data type →
// content to PUT.
func (m *Machine) CrossSigningSecretsForStorage(keyID string, key []byte) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for _, name := range crosssigning.SecretNames {
		s, found, err := m.d.LocalSecret(name)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		c, err := m.d.StoreSecret(name, s, keyID, key)
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	if len(out) == 0 {
		return nil, errNoCrossSigning("no cross-signing private key is held on this device")
	}
	return out, nil
}

// VerifyUser marks another user verified: their published master key is
// signed with our user-signing key (an upload is queued) and pinned. The
// caller decides first (e.g. compares keys out of band).
func (m *Machine) VerifyUser(user string) error {
	if !validUserID(user) || user == m.user {
		return errcode.New(errcode.BadInput, "a user id other than our own is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var signed map[string]any
	var masterPub string
	err := m.st.Update(func(tx *store.Tx) error {
		k, err := m.heldKeys(tx)
		if err != nil {
			return err
		}
		defer k.Wipe()
		own, err := loadIdentity(tx, m.user)
		if err != nil {
			return err
		}
		if k.UserSigning == nil || crosssigning.PublicKey(k.UserSigning) != own.published().UserSigningKey(m.user) {
			return errNoCrossSigning("our user-signing key is not held here (or is not the published one)")
		}
		r, err := loadIdentity(tx, user)
		if err != nil {
			return err
		}
		pub := r.published()
		if masterPub = pub.MasterKey(user); masterPub == "" {
			return errNoCrossSigning("%s has no published cross-signing keys (query them first)", user)
		}
		signed = withoutSignatures(pub.Master)
		if err := crosssigning.SignAs(signed, m.user, k.UserSigning); err != nil {
			return err
		}
		r[idPinned] = masterPub
		r[idWasVerified] = "1"
		return putRecord(tx, identityKey(user), &r)
	})
	if err != nil {
		return err
	}
	return m.queueSignatures(map[string]map[string]map[string]any{user: {masterPub: signed}})
}
