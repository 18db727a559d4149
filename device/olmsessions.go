package device

import (
	"cmp"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"maps"
	"slices"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// olmSession is a stored Olm session. lastUsed picks the session to encrypt
// with when a peer has several (the one that most recently worked, as
// libolm-based clients do).
type olmSession struct {
	peerKey  string
	created  int64 // unix ms
	lastUsed int64
	s        *olm.Session
}

func decodeOlmSession(e store.Entry) (*olmSession, error) {
	r := bincodec.NewReader(e.Value, "olm session record")
	if v := r.Uvarint(); v != 1 && r.Err() == nil {
		return nil, errcode.New(errcode.BadPickle, "stored Olm session has format version %d", v)
	}
	os := &olmSession{peerKey: e.Key.A, created: r.Varint(), lastUsed: r.Varint()}
	state := r.Bytes("session state")
	if err := r.Finish(); err != nil {
		return nil, damaged("Olm session", err)
	}
	s, err := olm.UnmarshalSessionState(state)
	if err != nil {
		return nil, errcode.Context(err, "stored Olm session")
	}
	os.s = s
	return os, nil
}

func putOlmSession(tx *store.Tx, os *olmSession) error {
	var w bincodec.Writer
	w.Uvarint(1)
	w.Varint(os.created)
	w.Varint(os.lastUsed)
	w.Bytes(os.s.MarshalState())
	return tx.Put(store.OlmSessionKey(os.peerKey, os.s.ID()), w.B)
}

// olmSessions lists a peer's sessions, most recently used first.
func olmSessions(tx *store.Tx, peerKey string) ([]*olmSession, error) {
	entries, err := tx.List(store.KindOlmSession, peerKey)
	if err != nil {
		return nil, err
	}
	out := make([]*olmSession, 0, len(entries))
	for _, e := range entries {
		os, err := decodeOlmSession(e)
		if err != nil {
			return nil, err
		}
		out = append(out, os)
	}
	slices.SortStableFunc(out, func(a, b *olmSession) int {
		if c := cmp.Compare(b.lastUsed, a.lastUsed); c != 0 {
			return c
		}
		return cmp.Compare(b.created, a.created)
	})
	return out, nil
}

// SessionRef names an Olm session made with a device.
type SessionRef struct {
	UserID, DeviceID, SessionID string
	// Fallback: the claimed key was the device's fallback key (the server
	// had no one-time key left).
	Fallback bool
}

// DeviceFailure is a device that was skipped, and why.
type DeviceFailure struct {
	UserID, DeviceID string
	Code             errcode.Code
	Message          string
}

// OutboundSessions is what CreateOutboundSessions did.
type OutboundSessions struct {
	Sessions []SessionRef
	// Devices is how many devices of the /keys/query answer were checked
	// and remembered.
	Devices  int
	Failures []DeviceFailure
}

// CreateOutboundSessions reads a /keys/query response and a /keys/claim
// response, and makes an Olm session with every claimed device whose device
// keys are self-signed and whose claimed one-time or fallback key is signed
// by that device. Devices that fail a check are listed in Failures and get
// no session; the others are committed. Every checked device of the query is
// remembered, so EncryptToDevice can address it and DecryptToDevice can
// name the sender of a message.
func (d *Device) CreateOutboundSessions(keysQueryResponse, keysClaimResponse []byte) (*OutboundSessions, error) {
	q, err := jsonvalue.ParseAsObject(keysQueryResponse, "keys query response")
	if err != nil {
		return nil, err
	}
	var claimed map[string]any
	if keysClaimResponse != nil {
		c, err := jsonvalue.ParseAsObject(keysClaimResponse, "keys claim response")
		if err != nil {
			return nil, err
		}
		if o, ok := c.OptObject("one_time_keys"); ok {
			claimed = o.Map()
		}
		if err := c.Err(); err != nil {
			return nil, err
		}
	}
	byUser, _ := q.OptObject("device_keys")
	if err := q.Err(); err != nil {
		return nil, err
	}
	res := &OutboundSessions{}
	fail := func(user, dev string, err error) {
		res.Failures = append(res.Failures, DeviceFailure{UserID: user, DeviceID: dev, Code: errcode.Of(err), Message: err.Error()})
	}
	err = d.st.Update(func(tx *store.Tx) error {
		rec, err := d.account(tx)
		if err != nil {
			return err
		}
		checked := map[[2]string]DeviceInfo{}
		for _, user := range slices.Sorted(maps.Keys(byUser.Map())) {
			devs, ok := byUser.Map()[user].(map[string]any)
			if !ok {
				fail(user, "", badInput("device_keys[%s] must be an object", user))
				continue
			}
			for _, dev := range slices.Sorted(maps.Keys(devs)) {
				if user == d.opts.UserID && dev == d.opts.DeviceID {
					continue
				}
				obj, ok := devs[dev].(map[string]any)
				if !ok {
					fail(user, dev, badInput("device_keys[%s][%s] must be an object", user, dev))
					continue
				}
				info, err := verifyDeviceKeys(obj, user, dev)
				if err == nil {
					err = rememberDevice(tx, info)
				}
				if err != nil {
					fail(user, dev, err)
					continue
				}
				checked[[2]string{user, dev}] = info
				res.Devices++
			}
		}
		now := d.now().UnixMilli()
		for _, user := range slices.Sorted(maps.Keys(claimed)) {
			devs, _ := claimed[user].(map[string]any)
			for _, dev := range slices.Sorted(maps.Keys(devs)) {
				info, ok := checked[[2]string{user, dev}]
				if !ok {
					fail(user, dev, errcode.New(NoOlmSession, "a key was claimed for %s/%s but the keys query answer has no valid device keys for it", user, dev))
					continue
				}
				ref, s, err := d.sessionFromClaim(rec.acct, info, devs[dev])
				if err != nil {
					fail(user, dev, err)
					continue
				}
				if err := putOlmSession(tx, &olmSession{peerKey: info.Curve25519, created: now, lastUsed: now, s: s}); err != nil {
					return err
				}
				res.Sessions = append(res.Sessions, ref)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// sessionFromClaim checks the one claimed key object of a device and makes
// the session.
func (d *Device) sessionFromClaim(acct *olm.Account, info DeviceInfo, v any) (SessionRef, *olm.Session, error) {
	keys, ok := v.(map[string]any)
	if !ok || len(keys) == 0 {
		return SessionRef{}, nil, badInput("one_time_keys[%s][%s] must be an object with one key", info.UserID, info.DeviceID)
	}
	var lastErr error
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		if !strings.HasPrefix(name, signedCurve25519+":") {
			lastErr = errcode.New(errcode.UnsupportedAlgorithm, "claimed key %s of %s/%s: only %s keys are used", name, info.UserID, info.DeviceID, signedCurve25519)
			continue
		}
		obj, ok := keys[name].(map[string]any)
		if !ok {
			lastErr = badInput("claimed key %s of %s/%s must be a signed key object", name, info.UserID, info.DeviceID)
			continue
		}
		key, _ := obj["key"].(string)
		fallback, _ := obj["fallback"].(bool)
		ok, err := signing.Verify(obj, info.UserID, "ed25519:"+info.DeviceID, info.Ed25519)
		if err != nil {
			return SessionRef{}, nil, err
		}
		if !ok || key == "" {
			lastErr = errcode.New(errcode.BadSignature, "claimed key %s of %s/%s is not signed by the device's Ed25519 key", name, info.UserID, info.DeviceID)
			continue
		}
		s, err := acct.NewOutboundSession(info.Curve25519, key)
		if err != nil {
			return SessionRef{}, nil, errcode.Context(err, "claimed key of "+info.UserID+"/"+info.DeviceID)
		}
		return SessionRef{UserID: info.UserID, DeviceID: info.DeviceID, SessionID: s.ID(), Fallback: fallback}, s, nil
	}
	return SessionRef{}, nil, lastErr
}
