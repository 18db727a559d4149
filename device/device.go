package device

import (
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// Options say whose device this is and how it keeps time.
type Options struct {
	UserID, DeviceID string
	// Clock returns the current time; nil means time.Now. Fallback-key
	// rotation, Megolm rotation and session choice are judged by it.
	Clock func() time.Time
	// FallbackRetention: how long an old fallback private key is kept after
	// it was replaced (MSC4081); zero means olm.DefaultFallbackRetention.
	FallbackRetention time.Duration
}

// Device is one Matrix device's end-to-end encryption state in a store.
// Methods may be called from several goroutines; the store runs their
// transactions one at a time.
type Device struct {
	st       *store.Store
	opts     Options
	identity olm.IdentityKeys
	ratchets ratchetCache // decoded inbound sessions for room events
}

// accountRecord is the stored account plus what the device has told the
// server about it.
type accountRecord struct {
	userID, deviceID string
	// deviceKeysUploaded: /keys/upload accepted device_keys, so later
	// uploads leave them out.
	deviceKeysUploaded bool
	acct               *olm.Account
}

const accountVersion = 1

// Open loads the device's account from st, or creates one if st has none.
// A store that belongs to another user or device is refused (BAD_INPUT):
// mixing two identities in one store would corrupt both.
func Open(st *store.Store, opts Options) (*Device, error) {
	if st == nil {
		return nil, badInput("a store is required")
	}
	if opts.UserID == "" || opts.DeviceID == "" {
		return nil, badInput("user id and device id are required")
	}
	if opts.FallbackRetention < 0 {
		return nil, badInput("fallback retention must not be negative")
	}
	d := &Device{st: st, opts: opts}
	// After a rollback the store takes no write but Recover's, which
	// discards the sending ratchets once the account is known to be ours.
	update, rolledBack := st.Update, st.RolledBack()
	lost, known := st.RollbackGap()
	if rolledBack {
		update = st.Recover
	}
	err := update(func(tx *store.Tx) error {
		rec, found, err := d.loadAccount(tx)
		if err != nil {
			return err
		}
		if !found {
			rec = &accountRecord{userID: opts.UserID, deviceID: opts.DeviceID, acct: olm.NewAccount()}
			d.configure(rec.acct)
			if err := d.saveAccount(tx, rec); err != nil {
				return err
			}
		}
		d.identity = rec.acct.IdentityKeys()
		if rolledBack {
			if err := discardSendingRatchets(tx, lost, known); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Device) now() time.Time {
	if d.opts.Clock != nil {
		return d.opts.Clock()
	}
	return time.Now()
}

func (d *Device) configure(a *olm.Account) {
	a.Clock = d.opts.Clock
	a.FallbackRetention = d.opts.FallbackRetention
}

// UserID and DeviceID name the device.
func (d *Device) UserID() string   { return d.opts.UserID }
func (d *Device) DeviceID() string { return d.opts.DeviceID }

// IdentityKeys are the device's Curve25519 and Ed25519 public keys.
func (d *Device) IdentityKeys() olm.IdentityKeys { return d.identity }

// Close closes the store.
func (d *Device) Close() error {
	d.ratchets.drop()
	return d.st.Close()
}

func (d *Device) loadAccount(tx *store.Tx) (*accountRecord, bool, error) {
	raw, found, err := tx.Get(store.AccountKey())
	if err != nil || !found {
		return nil, false, err
	}
	r := bincodec.NewReader(raw, "account record")
	if v := r.Uvarint(); v != accountVersion && r.Err() == nil {
		return nil, false, errcode.New(errcode.BadPickle, "stored account has format version %d, this mxcrypto reads %d", v, accountVersion)
	}
	rec := &accountRecord{userID: r.String("user id"), deviceID: r.String("device id"), deviceKeysUploaded: r.Bool()}
	state := r.Bytes("account state")
	if err := r.Finish(); err != nil {
		return nil, false, damaged("account", err)
	}
	if rec.userID != d.opts.UserID || rec.deviceID != d.opts.DeviceID {
		return nil, false, badInput("this store holds the keys of %s device %s, not %s device %s", rec.userID, rec.deviceID, d.opts.UserID, d.opts.DeviceID)
	}
	if rec.acct, err = olm.UnmarshalAccountState(state); err != nil {
		return nil, false, errcode.Context(err, "stored account")
	}
	d.configure(rec.acct)
	return rec, true, nil
}

// account loads the account, which must exist (Open made it).
func (d *Device) account(tx *store.Tx) (*accountRecord, error) {
	rec, found, err := d.loadAccount(tx)
	if err == nil && !found {
		err = errcode.New(errcode.BadPickle, "the store has lost the device's account")
	}
	return rec, err
}

func (d *Device) saveAccount(tx *store.Tx, rec *accountRecord) error {
	var w bincodec.Writer
	w.Uvarint(accountVersion)
	w.String(rec.userID)
	w.String(rec.deviceID)
	w.Bool(rec.deviceKeysUploaded)
	w.Bytes(rec.acct.MarshalState())
	return tx.Put(store.AccountKey(), w.B)
}
