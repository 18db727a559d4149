package machine

import (
	"maps"
	"slices"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Room key sharing: who has the room's current outbound session, who was
// told it is withheld, and when it must rotate.

// roomShare is persisted per room.
type roomShare struct {
	SessionID string
	// SharedWith: "user|device" → the Curve25519 key the key went to.
	SharedWith map[string]string
	// Withheld: "user|device" → the withheld code sent.
	Withheld   map[string]string
	PeriodMs   uint64
	PeriodMsgs uint64
}

func (r roomShare) policy() megolm.RotationPolicy {
	return megolm.RotationPolicy{PeriodMs: r.PeriodMs, PeriodMsgs: r.PeriodMsgs}
}

func roomKey(room string) store.Key { return recordKey("room", room) }

// ShareSettings are a room's sharing settings (m.room.encryption and the
// client's trust policy).
type ShareSettings struct {
	RotationPeriodMs, RotationPeriodMsgs uint64
	// OnlyTrustedDevices: devices not marked trusted get m.unverified.
	OnlyTrustedDevices bool
}

// claim is a keys_claim request in flight.
type claim struct {
	req     Request
	devices []devRef
}

// ensureClaim makes a keys_claim for the devices not already being claimed
// (claimsFor lists the requests covering them).
func (m *Machine) ensureClaim(devs []devRef) error {
	covered := map[devRef]bool{}
	for _, c := range m.claims {
		for _, d := range c.devices {
			covered[d] = true
		}
	}
	var todo []devRef
	body := map[string]any{}
	for _, d := range devs {
		if covered[d] {
			continue
		}
		covered[d] = true
		todo = append(todo, d)
		u, _ := body[d.User].(map[string]any)
		if u == nil {
			u = map[string]any{}
			body[d.User] = u
		}
		u[d.Device] = "signed_curve25519"
	}
	if len(todo) == 0 {
		return nil
	}
	raw, err := encodeJSON(map[string]any{"one_time_keys": body, "timeout": 10000})
	if err != nil {
		return err
	}
	id := newID()
	m.claims[id] = &claim{req: Request{ID: id, Type: KeysClaim, Method: "POST", Path: clientPrefix + "/keys/claim", Body: raw}, devices: todo}
	return nil
}

func (m *Machine) claimsFor(devs []devRef) []Request {
	want := map[devRef]bool{}
	for _, d := range devs {
		want[d] = true
	}
	var out []Request
	for _, id := range sortedIDs(m.claims) {
		c := m.claims[id]
		for _, d := range c.devices {
			if want[d] {
				out = append(out, c.req)
				break
			}
		}
	}
	return out
}

// claimSent makes Olm sessions from a /keys/claim answer, checking each
// claimed key against the device keys we accepted before. Devices that got
// no key are remembered: they get m.no_olm instead of the room key.
func (m *Machine) claimSent(id string, resp Response) ([]Event, error) {
	c := m.claims[id]
	if c == nil {
		return nil, nil
	}
	delete(m.claims, id)
	if !resp.ok() {
		return nil, nil
	}
	users := map[string]map[string]any{}
	err := m.st.View(func(tx *store.Tx) error {
		for _, d := range c.devices {
			if users[d.User] != nil {
				continue
			}
			u, err := loadUserDevices(tx, d.User)
			if err != nil {
				return err
			}
			devs := map[string]any{}
			for dev, raw := range u.Devices {
				v, err := jsonvalue.Parse([]byte(raw))
				if err != nil {
					return errcode.Wrap(errcode.BadPickle, err, "stored device keys are damaged")
				}
				devs[dev] = v
			}
			users[d.User] = devs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q := map[string]any{}
	for u, devs := range users {
		q[u] = devs
	}
	query, err := encodeJSON(map[string]any{"device_keys": q})
	if err != nil {
		return nil, err
	}
	res, err := m.d.CreateOutboundSessions(query, resp.Body)
	if err != nil {
		return nil, err
	}
	got := map[devRef]bool{}
	for _, s := range res.Sessions {
		got[devRef{s.UserID, s.DeviceID}] = true
	}
	var events []Event
	for _, f := range res.Failures {
		if f.DeviceID != "" && slices.Contains(c.devices, devRef{f.UserID, f.DeviceID}) {
			events = append(events, Event{"type": "deviceRefused", "userId": f.UserID, "deviceId": f.DeviceID, "code": string(f.Code), "message": f.Message})
		}
	}
	for _, d := range c.devices {
		if !got[d] {
			m.claimFailed[d] = true
			delete(m.unwedging, d)
		}
	}
	if err := m.sendDummies(got); err != nil {
		return events, err
	}
	return events, m.retryWaiting()
}

// ShareRoomKey returns the requests to send before EncryptRoomEvent can
// use the room's key: a keys_query while any of users has an outdated
// device list, keys_claim for devices without an Olm session, and the
// to-device messages giving the current outbound session to every device
// that lacks it (or withholding it). They are listed by OutgoingRequests
// too. Call it again after they are marked sent, until it returns none.
//
// The session is replaced first when there is none, when the rotation
// settings say so, or when a device that has it is no longer among the
// users' current devices (a member left, a device was removed).
func (m *Machine) ShareRoomKey(room string, users []string, s ShareSettings) ([]Request, error) {
	if len(room) < 2 || room[0] != '!' {
		return nil, errcode.New(errcode.BadInput, "room id %.64q must start with '!'", room)
	}
	for _, u := range users {
		if !validUserID(u) {
			return nil, errcode.New(errcode.BadInput, "user id %.64q is not a Matrix user id", u)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.track(users); err != nil {
		return nil, err
	}
	var anyOutdated bool
	err := m.st.View(func(tx *store.Tx) error {
		t, err := loadTracked(tx)
		for _, u := range users {
			anyOutdated = anyOutdated || t[u]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if anyOutdated {
		if err := m.ensureQuery(); err != nil {
			return nil, err
		}
		if m.query != nil {
			return []Request{*m.query}, nil
		}
	}

	// The devices that should have the key now.
	type target struct {
		ref   devRef
		curve string
		trust Trust
	}
	var targets []target
	current := map[string]string{}
	excluded := map[string]bool{} // must not have the key (blacklisted, or unverified when only trusted ones may)
	for _, u := range dedupe(users) {
		devs, err := m.userDevices(u)
		if err != nil {
			return nil, err
		}
		for _, d := range devs {
			r := devRef{d.UserID, d.DeviceID}
			targets = append(targets, target{r, d.Curve25519, d.Trust})
			current[r.String()] = d.Curve25519
			if s.withholdCode(d.Trust) != "" {
				excluded[r.String()] = true
			}
		}
	}

	var share roomShare
	if err := m.st.View(func(tx *store.Tx) (err error) { _, err = getRecord(tx, roomKey(room), &share); return err }); err != nil {
		return nil, err
	}
	share.PeriodMs, share.PeriodMsgs = s.RotationPeriodMs, s.RotationPeriodMsgs
	cur, err := m.d.CurrentRoomSession(room, share.policy())
	if err != nil {
		return nil, err
	}
	rotate := cur == nil || cur.NeedsRotation || cur.SessionID != share.SessionID
	for ref, curve := range share.SharedWith {
		if current[ref] != curve || excluded[ref] {
			rotate = true // left, removed, re-keyed, or no longer allowed to read
		}
	}
	if rotate {
		if cur, err = m.d.StartRoomSession(room); err != nil {
			return nil, err
		}
		share = roomShare{SessionID: cur.SessionID, PeriodMs: s.RotationPeriodMs, PeriodMsgs: s.RotationPeriodMsgs}
	}
	if share.SharedWith == nil {
		share.SharedWith = map[string]string{}
	}
	if share.Withheld == nil {
		share.Withheld = map[string]string{}
	}

	withheld := map[string]map[devRef]any{}
	withhold := func(ref devRef, code string) {
		if withheld[code] == nil {
			withheld[code] = map[devRef]any{}
		}
		withheld[code][ref] = map[string]any{
			"algorithm": megolm.Algorithm, "room_id": room, "session_id": cur.SessionID,
			"sender_key": m.d.IdentityKeys().Curve25519, "code": code, "reason": withheldReasons[code],
			"from_device": m.dev,
		}
		share.Withheld[ref.String()] = code
	}
	var give []device.DeviceRef
	curves := map[device.DeviceRef]string{}
	for _, t := range targets {
		k := t.ref.String()
		if _, done := share.SharedWith[k]; done {
			continue
		}
		code := s.withholdCode(t.trust)
		if was, done := share.Withheld[k]; done {
			// Still withheld for the same reason (or no key could be
			// claimed in this process): nothing new to say. Otherwise the
			// device may have become trusted, or got keys.
			if was == code || (was == "m.no_olm" && code == "" && m.claimFailed[t.ref]) {
				continue
			}
			delete(share.Withheld, k)
		}
		switch {
		case code != "":
			withhold(t.ref, code)
		default:
			r := device.DeviceRef{UserID: t.ref.User, DeviceID: t.ref.Device}
			give = append(give, r)
			curves[r] = t.curve
		}
	}
	// The room key messages, the requests carrying them and the record of
	// who has the key commit together with the Olm ratchet steps: a crash
	// before leaves nothing, after leaves requests that will still be sent.
	var pending []Request
	var needClaim []devRef
	_, _, err = m.d.EncryptToDevicesWith(give, "m.room_key", cur.RoomKey, func(tx *store.Tx, out map[device.DeviceRef][]byte) error {
		needClaim = nil
		encrypted := map[devRef]any{}
		for _, r := range give {
			ref := devRef{r.UserID, r.DeviceID}
			c, ok := out[r]
			if !ok { // no Olm session yet
				if m.claimFailed[ref] {
					withhold(ref, "m.no_olm")
				} else {
					needClaim = append(needClaim, ref)
				}
				continue
			}
			v, err := jsonvalue.Parse(c)
			if err != nil {
				return err
			}
			encrypted[ref] = v
			share.SharedWith[ref.String()] = curves[r]
		}
		reqs, err := toDeviceRequests("m.room.encrypted", room, encrypted)
		if err != nil {
			return err
		}
		for _, code := range slices.Sorted(maps.Keys(withheld)) {
			w, err := toDeviceRequests("m.room_key.withheld", room, withheld[code])
			if err != nil {
				return err
			}
			reqs = append(reqs, w...)
		}
		if err := queue(tx, reqs...); err != nil {
			return err
		}
		if err := putRecord(tx, roomKey(room), &share); err != nil {
			return err
		}
		box, err := loadOutbox(tx)
		for _, r := range box {
			if r.Room == room {
				pending = append(pending, r)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.ensureClaim(needClaim); err != nil {
		return nil, err
	}
	return append(m.claimsFor(needClaim), pending...), nil
}

// withholdCode is the m.room_key.withheld code for a device of this trust
// under these settings, or "" when it may have the key.
func (s ShareSettings) withholdCode(t Trust) string {
	switch {
	case t == Blacklisted:
		return "m.blacklisted"
	case s.OnlyTrustedDevices && t != Trusted:
		return "m.unverified"
	}
	return ""
}

var withheldReasons = map[string]string{
	"m.blacklisted": "The sender has blocked you.",
	"m.unverified":  "The sender has disabled encrypting to unverified devices.",
	"m.no_olm":      "Unable to establish a secure channel.",
}

func dedupe(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// EncryptRoomEvent encrypts a room event with the room's shared session:
// ROOM_KEY_NOT_SHARED when ShareRoomKey has not given it out (or it is due
// for rotation), so a message never uses a key its readers were not sent.
func (m *Machine) EncryptRoomEvent(room, eventType string, content []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// One store lock for reading the share and the encryption's commit.
	release, err := m.st.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	var share roomShare
	var found bool
	if err := m.st.View(func(tx *store.Tx) (err error) { found, err = getRecord(tx, roomKey(room), &share); return err }); err != nil {
		return nil, err
	}
	if !found {
		return nil, errcode.New(RoomKeyNotShared, "no room key was shared in %s yet: call ShareRoomKey first", room)
	}
	return m.d.EncryptRoomEventIn(room, share.SessionID, eventType, content, share.policy())
}
