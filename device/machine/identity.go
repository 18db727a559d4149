package machine

import (
	"github.com/mxcrypto/mxcrypto/device/crosssigning"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// User identities: each tracked user's cross-signing keys as the last
// /keys/query answer gave them, the first master key seen (pinned, trust on
// first use: a different one later is "identity changed" until the caller
// accepts it or verifies the user), and the trust computed from them.

// strRecord is a record of string fields.
type strRecord map[string]string

func (r strRecord) toJSON() any { return anyMapOf(r) }

func (r *strRecord) fromJSON(v any) error {
	*r = strRecord(strMap(v))
	return nil
}

func identityKey(user string) store.Key { return recordKey("identity", user) }

// Fields of an identity record.
const (
	idMaster      = "master"      // published master key object (JSON)
	idSelfSigning = "selfSigning" // published self-signing key object (JSON)
	idUserSigning = "userSigning" // published user-signing key object (JSON, own user only)
	idPinned      = "pinned"      // the master public key first seen (or accepted)
	idWasVerified = "wasVerified" // "1": the pinned identity was verified once
)

func loadIdentity(tx *store.Tx, user string) (strRecord, error) {
	r := strRecord{}
	_, err := getRecord(tx, identityKey(user), &r)
	if r == nil {
		r = strRecord{}
	}
	return r, err
}

// published reads the key objects of an identity record.
func (r strRecord) published() crosssigning.Published {
	obj := func(f string) map[string]any {
		if r[f] == "" {
			return nil
		}
		o, err := jsonvalue.ParseObject([]byte(r[f]))
		if err != nil {
			return nil
		}
		return o
	}
	return crosssigning.Published{Master: obj(idMaster), SelfSigning: obj(idSelfSigning), UserSigning: obj(idUserSigning)}
}

// updateIdentity stores a user's cross-signing keys from a /keys/query
// answer (o is the whole answer) and reports a master key that differs
// from the pinned one.
func (m *Machine) updateIdentity(user string, o jsonvalue.Object) ([]Event, error) {
	pick := func(field string) (string, error) {
		byUser, _ := o.Map()[field].(map[string]any)
		obj, ok := byUser[user].(map[string]any)
		if !ok {
			return "", nil
		}
		raw, err := encodeJSON(obj)
		return string(raw), err
	}
	var events []Event
	err := m.st.Update(func(tx *store.Tx) error {
		r, err := loadIdentity(tx, user)
		if err != nil {
			return err
		}
		previous := r.published().MasterKey(user)
		for field, name := range map[string]string{idMaster: "master_keys", idSelfSigning: "self_signing_keys", idUserSigning: "user_signing_keys"} {
			v, err := pick(name)
			if err != nil {
				return err
			}
			if v == "" {
				delete(r, field)
			} else {
				r[field] = v
			}
		}
		master := r.published().MasterKey(user)
		switch {
		case master == "":
		case r[idPinned] == "":
			r[idPinned] = master
		case r[idPinned] != master && master != previous: // reported once per new key
			events = append(events, Event{"type": "identityChanged", "userId": user, "masterKey": master, "pinnedMasterKey": r[idPinned], "wasVerified": r[idWasVerified] == "1"})
		}
		return putRecord(tx, identityKey(user), &r)
	})
	return events, err
}

// trustView is everything a user's device trust is decided from.
type trustView struct {
	manual trustRecord
	cs     crosssigning.View
	keys   crosssigning.Published
	devs   userDevices
}

func (m *Machine) loadTrustView(tx *store.Tx, user string) (trustView, error) {
	var v trustView
	var err error
	if v.manual, err = loadTrust(tx, user); err != nil {
		return v, err
	}
	if v.devs, err = loadUserDevices(tx, user); err != nil {
		return v, err
	}
	own, err := loadIdentity(tx, m.user)
	if err != nil {
		return v, err
	}
	st, err := loadCrossSigning(tx)
	if err != nil {
		return v, err
	}
	v.cs = crosssigning.View{Own: m.user, OwnKeys: own.published(), TrustedOwnMaster: st[csTrustedMaster]}
	v.keys = v.cs.OwnKeys
	if user != m.user {
		theirs, err := loadIdentity(tx, user)
		if err != nil {
			return v, err
		}
		v.keys = theirs.published()
	}
	return v, nil
}

// decide is a device's trust: the caller's own decision (SetDeviceTrust)
// when there is one, else trusted when cross-signing vouches for it (signed
// by its owner's self-signing key, the owner verified), else unverified.
// crossSigned tells whether the owner's self-signing key signed it.
func (m *Machine) decide(v trustView, user, dev string) (trust Trust, crossSigned bool) {
	if user == m.user && dev == m.dev {
		return Trusted, v.cs.OwnIdentityTrusted()
	}
	var obj map[string]any
	if raw, ok := v.devs.Devices[dev]; ok {
		obj, _ = jsonvalue.ParseObject([]byte(raw))
	}
	if obj != nil {
		crossSigned = v.keys.DeviceCrossSigned(user, obj)
	}
	if t, ok := v.manual[dev]; ok {
		return t, crossSigned
	}
	if obj != nil && v.cs.DeviceTrusted(user, v.keys, obj) {
		return Trusted, crossSigned
	}
	return Unverified, crossSigned
}

// Identity is what is known of a user's cross-signing identity.
type Identity struct {
	UserID string
	// MasterKey is the published master key ("" when the user has none).
	MasterKey string
	// Verified: our own identity whose master key we hold (or checked), or
	// another user whose master key our user-signing key signed.
	Verified bool
	// PinnedMasterKey is the first master key seen (or the last accepted).
	PinnedMasterKey string
	// Changed: the published master key is not the pinned one.
	Changed bool
	// WasVerified: the pinned identity was verified at some point.
	WasVerified bool
}

// UserIdentity describes a tracked user's identity.
func (m *Machine) UserIdentity(user string) (*Identity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out *Identity
	err := m.st.Update(func(tx *store.Tx) error {
		v, err := m.loadTrustView(tx, user)
		if err != nil {
			return err
		}
		r, err := loadIdentity(tx, user)
		if err != nil {
			return err
		}
		master := v.keys.MasterKey(user)
		out = &Identity{UserID: user, MasterKey: master, Verified: v.cs.UserVerified(user, v.keys), PinnedMasterKey: r[idPinned]}
		out.Changed = master != "" && r[idPinned] != "" && master != r[idPinned]
		if out.Verified && !out.Changed && r[idWasVerified] != "1" {
			r[idWasVerified] = "1"
			if err := putRecord(tx, identityKey(user), &r); err != nil {
				return err
			}
		}
		out.WasVerified = r[idWasVerified] == "1"
		return nil
	})
	return out, err
}

// PinIdentity accepts a user's current master key as the pinned one (the
// caller saw the "identity changed" warning and went on).
func (m *Machine) PinIdentity(user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Update(func(tx *store.Tx) error {
		r, err := loadIdentity(tx, user)
		if err != nil {
			return err
		}
		master := r.published().MasterKey(user)
		if master == "" {
			return errNoCrossSigning("%s has no cross-signing keys", user)
		}
		if r[idPinned] != master {
			r[idPinned] = master
			delete(r, idWasVerified)
		}
		return putRecord(tx, identityKey(user), &r)
	})
}
