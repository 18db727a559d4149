package machine

import (
	"sync"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// Codes of the machine's own failures, next to errcode's and device's.
const (
	// MismatchedSender: the room key of an event was sent by a device that
	// is not one of the event sender's devices.
	MismatchedSender = errcode.MismatchedSender
	// Withheld: the sender withheld the room key (WithheldError says why).
	Withheld = errcode.Withheld
	// DeviceKeysChanged: a /keys/query answer changed the keys of a known
	// device; the change is refused.
	DeviceKeysChanged = errcode.DeviceKeysChanged
	// RoomKeyNotShared: EncryptRoomEvent before ShareRoomKey gave the
	// room's key out (or when it is due for rotation).
	RoomKeyNotShared = device.RoomKeyNotShared
)

// Machine is one device's encryption orchestration. Its methods may be
// called from several goroutines; they run one at a time.
type Machine struct {
	mu   sync.Mutex
	d    *device.Device
	st   *store.Store
	user string
	dev  string
	now  func() time.Time

	// What follows is not persisted: it is rebuilt from the store or from
	// the next /sync after a restart.
	counts       map[string]int // last device_one_time_keys_count
	countsKnown  bool
	unused       []string // last device_unused_fallback_key_types; nil: unknown
	upload       *Request
	query        *Request
	queryUsers   []string
	dirtied      map[string]bool // users marked outdated while a query for them was out
	claims       map[string]*claim
	claimFailed  map[devRef]bool // claimed and got no key: withheld m.no_olm
	backupUpload *Request
	backupBatch  *device.BackupBatch
	backupPaused bool // an upload failed: wait for the next sync
	backupGets   map[string]*backupGet
	fetched      map[string]bool      // sessions already fetched from the backup in this process
	waiting      []waitingAnswer      // answers to send once an Olm session exists
	unwedged     map[devRef]time.Time // when a new session was last made for a wedged one
	unwedging    map[devRef]bool      // a key is being claimed to replace a wedged session
}

// devRef names a device.
type devRef struct{ User, Device string }

func (r devRef) String() string { return r.User + "|" + r.Device }

// Open builds a machine over an open device.
func Open(d *device.Device, clock func() time.Time) (*Machine, error) {
	if d == nil {
		return nil, errcode.New(errcode.BadInput, "a device is required")
	}
	if clock == nil {
		clock = time.Now
	}
	m := &Machine{
		d: d, st: d.Store(), user: d.UserID(), dev: d.DeviceID(), now: clock,
		dirtied: map[string]bool{}, claims: map[string]*claim{}, claimFailed: map[devRef]bool{},
		backupGets: map[string]*backupGet{}, fetched: map[string]bool{},
		unwedged: map[devRef]time.Time{}, unwedging: map[devRef]bool{},
	}
	// The user's own other devices are always tracked: key requests and
	// secrets go to them.
	if err := m.track([]string{m.user}); err != nil {
		return nil, err
	}
	return m, nil
}

// Device is the device under the machine.
func (m *Machine) Device() *device.Device { return m.d }

// Close closes the device and its store.
func (m *Machine) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.d.Close()
}

func newID() string { return passphrase.RandomString(24) }

// --- records -----------------------------------------------------------------

func recordKey(parts ...string) store.Key {
	name := "machine"
	for _, p := range parts {
		name += "\x00" + p
	}
	return store.ValueKey(name)
}

func encodeJSON(v any) ([]byte, error) { return device.EncodeJSON(v) }

// InProcessStore reports whether the machine's store is in-process
// (store.Options.InProcess): its operations never wait on I/O.
func (m *Machine) InProcessStore() bool { return m.st.InProcess() }
