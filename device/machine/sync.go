package machine

import (
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Event is something the driver may act on; "type" names it (see
// index.d.ts MachineEvent for the list and fields). Values are strings,
// booleans, integers, []any and maps.
type Event map[string]any

// SyncChanges is what one /sync response brought for encryption.
type SyncChanges struct {
	ToDeviceEvents [][]byte // to_device.events, each a JSON object
	Changed, Left  []string // device_lists
	// OneTimeKeyCounts: device_one_time_keys_count; nil when absent.
	OneTimeKeyCounts map[string]int
	// UnusedFallbackKeyTypes: device_unused_fallback_key_types; nil when
	// /sync lacks the field (the server has no fallback keys).
	UnusedFallbackKeyTypes []string
	// NextBatch is stored as the sync token once all of the above is done.
	NextBatch string
}

// ToDeviceResult is one to-device event after processing: decrypted,
// passed through (not encrypted), or a failure.
type ToDeviceResult struct {
	Decrypted *device.ToDeviceEvent
	// Plain (not encrypted) events: Type, Sender, Content.
	Type, Sender string
	Content      []byte
	// Failure: why the event could not be decrypted or handled; Event is
	// the event as received.
	Failure error
	Event   []byte
}

// SyncResult is what ReceiveSyncChanges did.
type SyncResult struct {
	ToDevice []ToDeviceResult
	Events   []Event
}

var syncTokenKey = recordKey("synctoken")

// ReceiveSyncChanges processes one /sync response's encryption parts and
// then stores NextBatch as the sync token: a crash before that makes the
// driver fetch the same response again, so nothing is lost. Events that
// fail are reported, not fatal; an error means the store failed.
func (m *Machine) ReceiveSyncChanges(ch SyncChanges) (*SyncResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch.OneTimeKeyCounts != nil {
		m.counts, m.countsKnown = ch.OneTimeKeyCounts, true
	}
	if ch.UnusedFallbackKeyTypes != nil || ch.OneTimeKeyCounts != nil {
		m.unused = ch.UnusedFallbackKeyTypes
	}
	m.backupPaused = false
	if err := m.markChanged(ch.Changed, ch.Left); err != nil {
		return nil, err
	}
	res := &SyncResult{}
	if err := m.handleLeftovers(res); err != nil {
		return nil, err
	}
	for _, raw := range ch.ToDeviceEvents {
		r, evs, err := m.receiveToDevice(raw)
		if err != nil && isStoreFailure(err) {
			return nil, err
		}
		if err != nil {
			r = ToDeviceResult{Failure: err, Event: raw}
		}
		res.ToDevice = append(res.ToDevice, r)
		res.Events = append(res.Events, evs...)
	}
	if err := m.retryWaiting(); err != nil {
		return nil, err
	}
	if ch.NextBatch != "" {
		err := m.st.Update(func(tx *store.Tx) error { return tx.Put(syncTokenKey, []byte(ch.NextBatch)) })
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// isStoreFailure: errors that are about us, not the event.
func isStoreFailure(err error) bool {
	switch errcode.Of(err) {
	case store.StoreFailure, store.Closed, errcode.Internal:
		return true
	}
	return false
}

// SyncToken is the stored sync token ("" when none).
func (m *Machine) SyncToken() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var tok string
	err := m.st.View(func(tx *store.Tx) error {
		raw, _, err := tx.Get(syncTokenKey)
		tok = string(raw)
		return err
	})
	return tok, err
}

// SetSyncToken replaces the stored sync token ("" deletes it).
func (m *Machine) SetSyncToken(tok string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.Update(func(tx *store.Tx) error {
		if tok == "" {
			return tx.Delete(syncTokenKey)
		}
		return tx.Put(syncTokenKey, []byte(tok))
	})
}

// Contents of decrypted to-device events that carry keys are not handed
// back: the keys stay in Go.
var secretBearing = map[string]bool{"m.room_key": true, "m.forwarded_room_key": true, "m.secret.send": true}

func (m *Machine) receiveToDevice(raw []byte) (ToDeviceResult, []Event, error) {
	v, err := jsonvalue.Parse(raw)
	if err != nil {
		return ToDeviceResult{}, nil, errcode.Context(err, "to-device event")
	}
	ev, err := jsonvalue.AsObject(v, "to-device event")
	if err != nil {
		return ToDeviceResult{}, nil, err
	}
	typ, sender := ev.String("type"), ev.String("sender")
	content := ev.Object("content")
	if err := ev.Err(); err != nil {
		return ToDeviceResult{}, nil, err
	}
	if typ != "m.room.encrypted" {
		c, err := encodeJSON(content.Map())
		if err != nil {
			return ToDeviceResult{}, nil, err
		}
		evs, err := m.handlePlain(typ, sender, content)
		return ToDeviceResult{Type: typ, Sender: sender, Content: c}, evs, err
	}
	dec, id, err := m.decryptAndStash(raw)
	if err != nil {
		if uerr := m.maybeUnwedge(raw, err); uerr != nil {
			return ToDeviceResult{}, nil, uerr
		}
		return ToDeviceResult{}, nil, err
	}
	evs, err := m.handleDecrypted(dec)
	if err != nil && isStoreFailure(err) {
		return ToDeviceResult{}, nil, err // stays in the inbox
	}
	if err := m.unstash(id); err != nil {
		return ToDeviceResult{}, nil, err
	}
	if secretBearing[dec.Type] {
		dec.Content = []byte("{}")
	}
	return ToDeviceResult{Decrypted: dec}, evs, err
}

// handlePlain handles unencrypted to-device events the machine cares about.
func (m *Machine) handlePlain(typ, sender string, content jsonvalue.Object) ([]Event, error) {
	switch typ {
	case "m.room_key_request":
		return nil, m.keyRequestReceived(sender, content)
	case "m.secret.request":
		return nil, m.secretRequestReceived(sender, content)
	case "m.room_key.withheld", "org.matrix.room_key.withheld":
		return m.withheldReceived(sender, content, "")
	}
	return nil, nil
}

// handleDecrypted handles decrypted to-device events.
func (m *Machine) handleDecrypted(ev *device.ToDeviceEvent) ([]Event, error) {
	switch ev.Type {
	case "m.room_key":
		return m.roomKeyReceived(ev)
	case "m.forwarded_room_key":
		return m.forwardedKeyReceived(ev)
	case "m.secret.send":
		return m.secretReceived(ev)
	case "m.room_key.withheld":
		c, err := jsonvalue.ParseObject(ev.Content)
		if err != nil {
			return nil, err
		}
		o, _ := jsonvalue.AsObject(c, "m.room_key.withheld content")
		return m.withheldReceived(ev.Sender, o, ev.SenderKey)
	}
	return nil, nil
}
