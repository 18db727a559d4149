package device

import (
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// DeviceInfo is a device whose signed keys were checked in a /keys/query
// answer.
type DeviceInfo struct {
	UserID, DeviceID string
	Curve25519       string
	Ed25519          string
}

// Known devices are kept twice, as the same record: by (user, device)
// (store.KindDevice) to encrypt to them, and by Curve25519 key
// (store.KindDeviceByCurve) to tell who sent an Olm message.

func encodeDevice(info DeviceInfo) []byte {
	var w bincodec.Writer
	w.Uvarint(1)
	w.String(info.UserID)
	w.String(info.DeviceID)
	w.String(info.Curve25519)
	w.String(info.Ed25519)
	return w.B
}

func decodeDevice(raw []byte) (DeviceInfo, error) {
	r := bincodec.NewReader(raw, "device record")
	if v := r.Uvarint(); v != 1 && r.Err() == nil {
		return DeviceInfo{}, errcode.New(errcode.BadPickle, "stored device has format version %d", v)
	}
	info := DeviceInfo{UserID: r.String("user id"), DeviceID: r.String("device id"), Curve25519: r.String("curve25519 key"), Ed25519: r.String("ed25519 key")}
	if err := r.Finish(); err != nil {
		return DeviceInfo{}, damaged("device", err)
	}
	return info, nil
}

func getDevice(tx *store.Tx, k store.Key) (DeviceInfo, bool, error) {
	// An empty id names no device (and is no key the store accepts).
	if k.A == "" || (k.Kind == store.KindDevice && k.B == "") {
		return DeviceInfo{}, false, nil
	}
	raw, found, err := tx.Get(k)
	if err != nil || !found {
		return DeviceInfo{}, false, err
	}
	info, err := decodeDevice(raw)
	return info, err == nil, err
}

// verifyDeviceKeys checks a DeviceKeys object found under userID/deviceID:
// the ids inside match, both identity keys are there, and the device's own
// Ed25519 key signed it.
func verifyDeviceKeys(obj map[string]any, userID, deviceID string) (DeviceInfo, error) {
	o, err := jsonvalue.AsObject(obj, "device_keys["+userID+"]["+deviceID+"]")
	if err != nil {
		return DeviceInfo{}, err
	}
	uid, did := o.String("user_id"), o.String("device_id")
	keys := o.Object("keys")
	curve, ed := keys.String("curve25519:"+deviceID), keys.String("ed25519:"+deviceID)
	if err := o.Err(); err != nil {
		return DeviceInfo{}, err
	}
	if uid != userID || did != deviceID {
		return DeviceInfo{}, badInput("device keys listed under %s/%s say they are %s/%s", userID, deviceID, uid, did)
	}
	cb, err := b64.DecodeLen(curve, 32, "curve25519 key of "+deviceID)
	if err != nil {
		return DeviceInfo{}, err
	}
	ok, err := signing.Verify(obj, userID, "ed25519:"+deviceID, ed)
	if err != nil {
		return DeviceInfo{}, errcode.Context(err, "ed25519 key of "+deviceID)
	}
	if !ok {
		return DeviceInfo{}, errcode.New(errcode.BadSignature, "device keys of %s/%s are not signed by the device's own Ed25519 key", userID, deviceID)
	}
	edb, _ := b64.Decode(ed)
	return DeviceInfo{UserID: userID, DeviceID: deviceID, Curve25519: b64.Encode(cb), Ed25519: b64.Encode(edb)}, nil
}

// rememberDevice stores a checked device. A device whose Ed25519 key
// changed is refused: the key is the device's identity, and a change means
// a server (or someone) substituted it.
func rememberDevice(tx *store.Tx, info DeviceInfo) error {
	old, found, err := getDevice(tx, store.DeviceKey(info.UserID, info.DeviceID))
	if err != nil {
		return err
	}
	if found && old.Ed25519 != info.Ed25519 {
		return errcode.New(errcode.BadSignature, "device %s/%s now has Ed25519 key %s, not %s as before: refusing the change", info.UserID, info.DeviceID, info.Ed25519, old.Ed25519)
	}
	if found && old == info {
		return nil
	}
	if found && old.Curve25519 != info.Curve25519 {
		if err := tx.Delete(store.DeviceByCurveKey(old.Curve25519)); err != nil {
			return err
		}
	}
	raw := encodeDevice(info)
	if err := tx.Put(store.DeviceKey(info.UserID, info.DeviceID), raw); err != nil {
		return err
	}
	return tx.Put(store.DeviceByCurveKey(info.Curve25519), raw)
}

// Device returns a device remembered from CreateOutboundSessions or
// AddDevices.
func (d *Device) Device(userID, deviceID string) (DeviceInfo, bool, error) {
	var info DeviceInfo
	var found bool
	err := d.st.View(func(tx *store.Tx) (err error) {
		info, found, err = getDevice(tx, store.DeviceKey(userID, deviceID))
		return err
	})
	return info, found, err
}
