package machine

import (
	"maps"
	"slices"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Device tracking: the users whose device lists we follow (those sharing an
// encrypted room, and our own), each "outdated" until a /keys/query answer
// for them was processed after the last device_lists.changed naming them.

var trackedKey = recordKey("tracked")

// trackedUsers maps a user to whether their device list is outdated.
type trackedUsers map[string]bool

func loadTracked(tx *store.Tx) (trackedUsers, error) {
	t := trackedUsers{}
	_, err := getRecord(tx, trackedKey, &t)
	return t, err
}

// userDevices is what the last accepted /keys/query answer said about a
// user: each device's signed keys object as received (kept to check claimed
// keys against later, and to notice a change).
type userDevices struct {
	Devices map[string]string // device id → device keys JSON
}

func devicesKey(user string) store.Key { return recordKey("devices", user) }

func loadUserDevices(tx *store.Tx, user string) (userDevices, error) {
	u := userDevices{Devices: map[string]string{}}
	_, err := getRecord(tx, devicesKey(user), &u)
	if u.Devices == nil {
		u.Devices = map[string]string{}
	}
	return u, err
}

// track adds users (outdated, so they get queried); known ones keep their state.
func (m *Machine) track(users []string) error {
	return m.st.Update(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		if err != nil {
			return err
		}
		changed := false
		for _, u := range users {
			if _, ok := t[u]; !ok && u != "" {
				t[u] = true
				changed = true
			}
		}
		if !changed {
			return nil
		}
		return putRecord(tx, trackedKey, &t)
	})
}

// UpdateTrackedUsers starts tracking users that share an encrypted room
// with us; new ones are queried.
func (m *Machine) UpdateTrackedUsers(users []string) error {
	for _, u := range users {
		if !validUserID(u) {
			return errcode.New(errcode.BadInput, "user id %.64q is not a Matrix user id", u)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.track(users)
}

func validUserID(u string) bool {
	if len(u) < 3 || len(u) > 255 || u[0] != '@' {
		return false
	}
	for i := 1; i < len(u); i++ {
		if u[i] == ':' {
			return i > 1 && i < len(u)-1
		}
	}
	return false
}

// TrackedUsers lists the tracked users.
func (m *Machine) TrackedUsers() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	err := m.st.View(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		for u := range t {
			out = append(out, u)
		}
		return err
	})
	slices.Sort(out)
	return out, err
}

// markChanged handles device_lists.changed and .left.
func (m *Machine) markChanged(changed, left []string) error {
	if len(changed) == 0 && len(left) == 0 {
		return nil
	}
	return m.st.Update(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		if err != nil {
			return err
		}
		for _, u := range changed {
			if _, ok := t[u]; ok {
				t[u] = true
				if slices.Contains(m.queryUsers, u) {
					m.dirtied[u] = true
				}
			}
		}
		for _, u := range left {
			if u != m.user {
				delete(t, u)
			}
		}
		return putRecord(tx, trackedKey, &t)
	})
}

// markOutdated tracks a user (again) with an outdated device list.
func (m *Machine) markOutdated(user string) error {
	return m.st.Update(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		if err != nil {
			return err
		}
		if o, ok := t[user]; ok && o {
			return nil
		}
		t[user] = true
		if slices.Contains(m.queryUsers, user) {
			m.dirtied[user] = true
		}
		return putRecord(tx, trackedKey, &t)
	})
}

// outdated reports whether a user is untracked or their devices are not up to date.
func (m *Machine) outdated(tx *store.Tx, user string) (tracked, outdated bool, err error) {
	t, err := loadTracked(tx)
	if err != nil {
		return false, false, err
	}
	o, ok := t[user]
	return ok, o, nil
}

// ensureQuery makes the keys_query request for outdated users.
func (m *Machine) ensureQuery() error {
	if m.query != nil {
		return nil
	}
	var users []string
	err := m.st.View(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		for u, outdated := range t {
			if outdated {
				users = append(users, u)
			}
		}
		return err
	})
	if err != nil || len(users) == 0 {
		return err
	}
	slices.Sort(users)
	keys := map[string]any{}
	for _, u := range users {
		keys[u] = []any{}
	}
	body, err := encodeJSON(map[string]any{"device_keys": keys, "timeout": 10000})
	if err != nil {
		return err
	}
	m.query = &Request{ID: newID(), Type: KeysQuery, Method: "POST", Path: clientPrefix + "/keys/query", Body: body}
	m.queryUsers = users
	m.dirtied = map[string]bool{}
	return nil
}

// querySent reads a /keys/query answer: each queried user's devices are
// checked (self-signed, ids as listed) and remembered; a device whose keys
// differ from the ones seen before keeps the old ones (DEVICE_KEYS_CHANGED);
// devices no longer listed are forgotten, which makes rooms they had a key
// for rotate at the next ShareRoomKey.
func (m *Machine) querySent(id string, resp Response) ([]Event, error) {
	if m.query == nil || m.query.ID != id {
		return nil, nil
	}
	users := m.queryUsers
	m.query, m.queryUsers = nil, nil
	if !resp.ok() {
		return nil, nil // still outdated: queried again
	}
	v, err := jsonvalue.Parse(resp.Body)
	if err != nil {
		return nil, errcode.Context(err, "keys query response")
	}
	o, err := jsonvalue.AsObject(v, "keys query response")
	if err != nil {
		return nil, err
	}
	byUser, _ := o.OptObject("device_keys")
	if err := o.Err(); err != nil {
		return nil, err
	}
	var events []Event
	for _, user := range users {
		devs, _ := byUser.Map()[user].(map[string]any)
		evs, err := m.updateUserDevices(user, devs)
		if err != nil {
			return events, err
		}
		events = append(events, evs...)
		if evs, err = m.updateIdentity(user, o); err != nil {
			return events, err
		}
		events = append(events, evs...)
	}
	err = m.st.Update(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if _, ok := t[u]; ok && !m.dirtied[u] {
				t[u] = false
			}
		}
		return putRecord(tx, trackedKey, &t)
	})
	m.dirtied = map[string]bool{}
	return events, err
}

func (m *Machine) updateUserDevices(user string, devs map[string]any) ([]Event, error) {
	var events []Event
	var old userDevices
	if err := m.st.View(func(tx *store.Tx) (err error) { old, err = loadUserDevices(tx, user); return err }); err != nil {
		return nil, err
	}
	next := userDevices{Devices: map[string]string{}}
	accepted := map[string]any{}
	for _, dev := range slices.Sorted(maps.Keys(devs)) {
		if user == m.user && dev == m.dev {
			continue
		}
		obj, ok := devs[dev].(map[string]any)
		if !ok {
			events = append(events, refused(user, dev, errcode.New(errcode.BadInput, "device_keys[%s][%s] must be an object", user, dev)))
			continue
		}
		if prev, known := old.Devices[dev]; known {
			if changed, err := keysChanged(prev, obj, dev); err != nil || changed {
				if err == nil {
					err = errcode.New(DeviceKeysChanged, "the server says device %s of %s has new keys: refusing the change (a device's keys never change)", dev, user)
				}
				events = append(events, refused(user, dev, err))
				next.Devices[dev] = prev
				continue
			}
		}
		accepted[dev] = obj
	}
	if len(accepted) > 0 {
		body, err := encodeJSON(map[string]any{"device_keys": map[string]any{user: accepted}})
		if err != nil {
			return nil, err
		}
		res, err := m.d.CreateOutboundSessions(body, nil)
		if err != nil {
			return nil, err
		}
		failed := map[string]bool{}
		for _, f := range res.Failures {
			failed[f.DeviceID] = true
			events = append(events, Event{"type": "deviceRefused", "userId": f.UserID, "deviceId": f.DeviceID, "code": string(f.Code), "message": f.Message})
		}
		for dev, obj := range accepted {
			if failed[dev] {
				continue
			}
			raw, err := encodeJSON(obj)
			if err != nil {
				return nil, err
			}
			next.Devices[dev] = string(raw)
		}
	}
	var added, removed []string
	for dev := range next.Devices {
		if _, ok := old.Devices[dev]; !ok {
			added = append(added, dev)
		}
	}
	for dev := range old.Devices {
		if _, ok := next.Devices[dev]; !ok {
			removed = append(removed, dev)
		}
	}
	if len(added)+len(removed) > 0 {
		slices.Sort(added)
		slices.Sort(removed)
		events = append(events, Event{"type": "devicesChanged", "userId": user, "added": strs(added), "removed": strs(removed)})
	}
	for _, dev := range append(added, removed...) {
		delete(m.claimFailed, devRef{user, dev})
	}
	return events, m.st.Update(func(tx *store.Tx) error { return putRecord(tx, devicesKey(user), &next) })
}

func refused(user, dev string, err error) Event {
	return Event{"type": "deviceRefused", "userId": user, "deviceId": dev, "code": string(errcode.Of(err)), "message": err.Error()}
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// keysChanged compares the identity keys of a stored and a new device keys object.
func keysChanged(prev string, obj map[string]any, dev string) (bool, error) {
	p, err := jsonvalue.ParseObject([]byte(prev))
	if err != nil {
		return false, errcode.Wrap(errcode.BadPickle, err, "stored device keys are damaged")
	}
	pk, _ := p["keys"].(map[string]any)
	nk, _ := obj["keys"].(map[string]any)
	for _, name := range []string{"curve25519:" + dev, "ed25519:" + dev} {
		a, _ := pk[name].(string)
		b, _ := nk[name].(string)
		if trimPad(a) != trimPad(b) {
			return true, nil
		}
	}
	return false, nil
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// --- devices and trust ------------------------------------------------------

// Trust is what we think of a device: computed from cross-signing, or the
// caller's own decision (SetDeviceTrust).
type Trust string

const (
	Trusted     Trust = "trusted"
	Unverified  Trust = "unverified"
	Blacklisted Trust = "blacklisted"
)

func trustKey(user string) store.Key { return recordKey("trust", user) }

func loadTrust(tx *store.Tx, user string) (trustRecord, error) {
	t := trustRecord{}
	_, err := getRecord(tx, trustKey(user), &t)
	return t, err
}

// SetDeviceTrust records the caller's decision about a device.
func (m *Machine) SetDeviceTrust(user, dev string, trust Trust) error {
	switch trust {
	case Trusted, Unverified, Blacklisted:
	default:
		return errcode.New(errcode.BadInput, "trust must be trusted, unverified or blacklisted, not %q", trust)
	}
	if !validUserID(user) || dev == "" {
		return errcode.New(errcode.BadInput, "a user id and a device id are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Update(func(tx *store.Tx) error {
		t, err := loadTrust(tx, user)
		if err != nil {
			return err
		}
		t[dev] = trust
		return putRecord(tx, trustKey(user), &t)
	})
}

// KnownDevice is a device of a tracked user.
type KnownDevice struct {
	device.DeviceInfo
	DisplayName string
	Trust       Trust
	// CrossSigned: signed by its owner's self-signing key (whether or not
	// the owner is verified).
	CrossSigned bool
}

// trustOf is a device's trust (this device trusts itself), decided in one
// place: decide (identity.go).
func (m *Machine) trustOf(user, dev string) (Trust, error) {
	var v trustView
	if err := m.st.View(func(tx *store.Tx) (err error) { v, err = m.loadTrustView(tx, user); return err }); err != nil {
		return "", err
	}
	t, _ := m.decide(v, user, dev)
	return t, nil
}

// UserDevices lists the known devices of a user (not this one).
func (m *Machine) UserDevices(user string) ([]KnownDevice, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.userDevices(user)
}

func (m *Machine) userDevices(user string) ([]KnownDevice, error) {
	var v trustView
	if err := m.st.View(func(tx *store.Tx) (err error) { v, err = m.loadTrustView(tx, user); return err }); err != nil {
		return nil, err
	}
	var out []KnownDevice
	for _, dev := range slices.Sorted(maps.Keys(v.devs.Devices)) {
		info, found, err := m.d.Device(user, dev)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		kd := KnownDevice{DeviceInfo: info}
		kd.Trust, kd.CrossSigned = m.decide(v, user, dev)
		if o, err := jsonvalue.ParseObject([]byte(v.devs.Devices[dev])); err == nil {
			if un, ok := o["unsigned"].(map[string]any); ok {
				kd.DisplayName, _ = un["device_display_name"].(string)
			}
		}
		out = append(out, kd)
	}
	return out, nil
}
