package machine

import (
	"slices"

	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/store"
)

// The inbox keeps each decrypted to-device event from the commit that
// decrypted it until it has been handled: the Olm ratchet step and the
// event are committed together, so a crash in between loses nothing, and
// the event is handled at the next ReceiveSyncChanges.

var inboxKey = recordKey("inbox")

type stashed struct {
	ID            string
	Type          string
	Content       []byte
	Sender        string
	SenderDevice  string
	SenderKey     string
	SenderEd25519 string
	Verified      bool
}

func (s stashed) event() *device.ToDeviceEvent {
	return &device.ToDeviceEvent{Type: s.Type, Content: s.Content, Sender: s.Sender, SenderDevice: s.SenderDevice, SenderKey: s.SenderKey, SenderEd25519: s.SenderEd25519, Verified: s.Verified}
}

func loadInbox(tx *store.Tx) (inbox, error) {
	var out inbox
	_, err := getRecord(tx, inboxKey, &out)
	return out, err
}

// decryptAndStash decrypts an event and keeps it in the inbox, in one commit.
func (m *Machine) decryptAndStash(raw []byte) (*device.ToDeviceEvent, string, error) {
	id := newID()
	ev, err := m.d.DecryptToDeviceWith(raw, func(tx *store.Tx, ev *device.ToDeviceEvent) error {
		box, err := loadInbox(tx)
		if err != nil {
			return err
		}
		box = append(box, stashed{ID: id, Type: ev.Type, Content: ev.Content, Sender: ev.Sender, SenderDevice: ev.SenderDevice, SenderKey: ev.SenderKey, SenderEd25519: ev.SenderEd25519, Verified: ev.Verified})
		return putRecord(tx, inboxKey, &box)
	})
	return ev, id, err
}

// unstash drops a handled event.
func (m *Machine) unstash(id string) error {
	return m.st.Update(func(tx *store.Tx) error {
		box, err := loadInbox(tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(box, func(s stashed) bool { return s.ID == id })
		if i < 0 {
			return nil
		}
		box = slices.Delete(box, i, i+1)
		return putRecord(tx, inboxKey, &box)
	})
}

// handleLeftovers handles events a crash left in the inbox.
func (m *Machine) handleLeftovers(res *SyncResult) error {
	var box inbox
	if err := m.st.View(func(tx *store.Tx) (err error) { box, err = loadInbox(tx); return err }); err != nil {
		return err
	}
	for _, s := range box {
		ev := s.event()
		evs, err := m.handleDecrypted(ev)
		if err != nil && isStoreFailure(err) {
			return err
		}
		if secretBearing[ev.Type] {
			ev.Content = []byte("{}")
		}
		r := ToDeviceResult{Decrypted: ev}
		if err != nil {
			r = ToDeviceResult{Failure: err, Event: nil}
		}
		res.ToDevice = append(res.ToDevice, r)
		res.Events = append(res.Events, evs...)
		if err := m.unstash(s.ID); err != nil {
			return err
		}
	}
	return nil
}
