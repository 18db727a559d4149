//go:build js && wasm && !mxcrypto_core

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
	"slices"
	"sync"
	"syscall/js"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Devices are the one stateful part of the bridge: an open store and its
// device, addressed from JS by a handle. The state itself is in the store,
// so when the instance restarts the JS side (device.mjs) simply opens the
// device again.

type deviceHandle struct {
	d  *device.Device
	mu sync.Mutex
	// retention is the device's fallback key retention (zero: the default),
	// kept here to say when a replaced key will be forgotten.
	retention time.Duration
	// The handles of this device's backup batches and restores in progress
	// (entries of the one handle table, forgotten when the device closes).
	owned map[int]bool
}

// deviceBatch and deviceRestore are what a batch's or a restore's handle
// names: the object and the device it belongs to.
type deviceBatch struct {
	owner *deviceHandle
	b     *device.BackupBatch
}

type deviceRestore struct {
	owner *deviceHandle
	r     *device.Restore
}

// own registers v as an object of this device and returns its handle.
func (dh *deviceHandle) own(v any) int {
	h := register(v)
	dh.mu.Lock()
	dh.owned[h] = true
	dh.mu.Unlock()
	return h
}

func lookupDevice(h int) (*deviceHandle, error) {
	dh, ok := lookup[*deviceHandle](h)
	if !ok {
		return nil, errcode.New(noHandle, "this device is not open in this instance (closed, or the module restarted)")
	}
	return dh, nil
}

// onDevice is a handler whose first argument is a device handle.
//
// Not inlined: inlined, each call site got its own copy of the closures
// (about 1 KB of wasm each).
//
//go:noinline
func onDevice(name string, h func(a *Args) func(d *device.Device) (any, error)) js.Func {
	return Async(name, func(a *Args) Work {
		handle := a.Int(0, "device")
		fn := h(a)
		return func() (any, error) {
			dh, err := lookupDevice(handle)
			if err != nil {
				return nil, err
			}
			return fn(dh.d)
		}
	})
}

func deviceAPI() js.Value {
	return object(map[string]any{
		"open":  Async("openDevice", deviceOpen),
		"close": Async("Device.close", deviceClose),
		"keysForUpload": onDevice("Device.keysForUpload", func(a *Args) func(*device.Device) (any, error) {
			var counts []byte
			if a.Present(1) {
				counts = a.JSON(1, "oneTimeKeyCounts")
			}
			var unused []string
			if a.Present(2) {
				unused = a.StringList(2, "unusedFallbackKeyTypes")
			}
			return func(d *device.Device) (any, error) {
				c, err := countsArg(counts)
				if err != nil {
					return nil, err
				}
				body, err := d.KeysForUpload(c, unused)
				if err != nil || body == nil {
					return nil, err
				}
				return RawJSON(body), nil
			}
		}),
		"markKeysUploaded": onDevice("Device.markKeysUploaded", func(a *Args) func(*device.Device) (any, error) {
			var resp []byte
			if a.Present(1) {
				resp = a.JSON(1, "response")
			}
			return func(d *device.Device) (any, error) { return nil, d.MarkKeysUploaded(resp) }
		}),
		"createOutboundSessions": onDevice("Device.createOutboundSessions", func(a *Args) func(*device.Device) (any, error) {
			q := a.JSON(1, "keysQueryResponse")
			var c []byte
			if a.Present(2) {
				c = a.JSON(2, "keysClaimResponse")
			}
			return func(d *device.Device) (any, error) {
				r, err := d.CreateOutboundSessions(q, c)
				if err != nil {
					return nil, err
				}
				sessions := []any{}
				for _, s := range r.Sessions {
					sessions = append(sessions, map[string]any{"userId": s.UserID, "deviceId": s.DeviceID, "sessionId": s.SessionID, "fallback": s.Fallback})
				}
				failures := []any{}
				for _, f := range r.Failures {
					failures = append(failures, map[string]any{"userId": f.UserID, "deviceId": f.DeviceID, "code": string(f.Code), "message": f.Message})
				}
				return map[string]any{"sessions": sessions, "devices": r.Devices, "failures": failures}, nil
			}
		}),
		"encryptToDevice": onDevice("Device.encryptToDevice", func(a *Args) func(*device.Device) (any, error) {
			user, dev, typ := a.String(1, "userId"), a.String(2, "deviceId"), a.String(3, "type")
			content := a.JSON(4, "content")
			return func(d *device.Device) (any, error) {
				out, err := d.EncryptToDevice(user, dev, typ, content)
				return rawOrErr(out, err)
			}
		}),
		"decryptToDevice": onDevice("Device.decryptToDevice", func(a *Args) func(*device.Device) (any, error) {
			ev := a.JSON(1, "event")
			return func(d *device.Device) (any, error) {
				e, err := d.DecryptToDevice(ev)
				if err != nil {
					return nil, err
				}
				return map[string]any{
					"type": e.Type, "content": RawJSON(e.Content), "sender": e.Sender, "senderDevice": e.SenderDevice,
					"senderKey": e.SenderKey, "senderEd25519": e.SenderEd25519, "verified": e.Verified,
				}, nil
			}
		}),
		"encryptRoomEvent": onDevice("Device.encryptRoomEvent", func(a *Args) func(*device.Device) (any, error) {
			room, typ := a.String(1, "roomId"), a.String(2, "type")
			content := a.JSON(3, "content")
			policy := megolm.RotationPolicy{PeriodMs: optUint(a, 4, "rotationPeriodMs"), PeriodMsgs: optUint(a, 4, "rotationPeriodMsgs")}
			return func(d *device.Device) (any, error) {
				r, err := d.EncryptRoomEvent(room, typ, content, policy)
				if err != nil {
					return nil, err
				}
				out := map[string]any{"content": RawJSON(r.Content), "sessionId": r.SessionID, "roomKey": nil}
				if r.RoomKey != nil {
					out["roomKey"] = RawJSON(r.RoomKey)
				}
				return out, nil
			}
		}),
		"decryptRoomEvent": onDevice("Device.decryptRoomEvent", func(a *Args) func(*device.Device) (any, error) {
			room := a.String(1, "roomId")
			ev := a.JSON(2, "event")
			return func(d *device.Device) (any, error) {
				e, err := d.DecryptRoomEvent(room, ev)
				if err != nil {
					return nil, err
				}
				return map[string]any{
					"type": e.Type, "content": RawJSON(e.Content), "senderKey": e.SenderKey, "senderEd25519": e.SenderEd25519,
					"sessionId": e.SessionID, "messageIndex": int(e.MessageIndex), "imported": e.Imported,
				}, nil
			}
		}),
		"importRoomKey": onDevice("Device.importRoomKey", func(a *Args) func(*device.Device) (any, error) {
			content := a.JSON(1, "content")
			src := device.RoomKeySource{
				Kind: optString(a, 2, "kind"), SenderKey: optString(a, 2, "senderKey"), SenderEd25519: optString(a, 2, "senderEd25519"),
				RoomID: optString(a, 2, "roomId"), SessionID: optString(a, 2, "sessionId"),
			}
			return func(d *device.Device) (any, error) {
				out, err := d.ImportRoomKey(content, src)
				if err != nil {
					return nil, err
				}
				return out.String(), nil
			}
		}),
		"forwardRoomKey": onDevice("Device.forwardRoomKey", func(a *Args) func(*device.Device) (any, error) {
			room, session := a.String(1, "roomId"), a.String(2, "sessionId")
			return func(d *device.Device) (any, error) { return rawOrErr(d.ForwardRoomKey(room, session)) }
		}),
		"roomKeyContent": onDevice("Device.roomKeyContent", func(a *Args) func(*device.Device) (any, error) {
			room := a.String(1, "roomId")
			return func(d *device.Device) (any, error) { return rawOrErr(d.RoomKeyContent(room)) }
		}),
		"discardRoomSession": onDevice("Device.discardRoomSession", func(a *Args) func(*device.Device) (any, error) {
			room := a.String(1, "roomId")
			return func(d *device.Device) (any, error) { return nil, d.DiscardRoomSession(room) }
		}),
		"createBackupVersion": onDevice("Device.createBackupVersion", func(a *Args) func(*device.Device) (any, error) {
			return func(d *device.Device) (any, error) {
				nb, err := d.CreateBackupVersion()
				if err != nil {
					return nil, err
				}
				return map[string]any{"body": RawJSON(nb.Body), "privateKey": nb.PrivateKey, "publicKey": nb.PublicKey, "recoveryKey": nb.RecoveryKey}, nil
			}
		}),
		"verifyBackupAuthData": onDevice("Device.verifyBackupAuthData", func(a *Args) func(*device.Device) (any, error) {
			info := a.JSON(1, "versionInfo")
			var keys []byte
			if a.Present(2) {
				keys = a.JSON(2, "deviceKeys")
			}
			return func(d *device.Device) (any, error) {
				t, err := d.VerifyBackupAuthData(info, keys)
				if err != nil {
					return nil, err
				}
				signed := []any{}
				for _, s := range t.SignedBy {
					signed = append(signed, s)
				}
				return map[string]any{"trusted": t.Trusted, "signedBy": signed, "keyMatches": t.KeyMatches, "publicKey": t.PublicKey}, nil
			}
		}),
		"enableBackup": onDevice("Device.enableBackup", func(a *Args) func(*device.Device) (any, error) {
			version, pub := a.String(1, "version"), a.String(2, "publicKey")
			return func(d *device.Device) (any, error) { return nil, d.EnableBackup(version, pub) }
		}),
		"disableBackup": onDevice("Device.disableBackup", func(a *Args) func(*device.Device) (any, error) {
			return func(d *device.Device) (any, error) { return nil, d.DisableBackup() }
		}),
		"nextBackupBatch": Async("Device.nextBackupBatch", deviceNextBatch),
		"markBackedUp":    Async("Device.markBackedUp", deviceMarkBackedUp),
		"roomKeyCounts": onDevice("Device.roomKeyCounts", func(a *Args) func(*device.Device) (any, error) {
			return func(d *device.Device) (any, error) {
				total, backed, err := d.RoomKeyCounts()
				return map[string]any{"total": int(total), "backedUp": int(backed)}, err
			}
		}),
		"fallbackKeyStatus": Async("Device.fallbackKeyStatus", deviceFallbackKeyStatus),
		"restoreBackup": onDevice("Device.restoreBackup", func(a *Args) func(*device.Device) (any, error) {
			var key []byte
			var text string
			if a.get(1).Type() == js.TypeString {
				text = a.String(1, "recoveryKey")
			} else {
				key = a.Bytes(1, "privateKey", 32)
			}
			body := a.JSON(2, "roomKeys")
			progress := progressArg(a, 3)
			return func(d *device.Device) (any, error) {
				defer func() { clear(key) }() // the restore keeps its own copy
				if key == nil {
					var err error
					if key, err = recoverykey.Decode(text); err != nil {
						return nil, err
					}
				}
				return restoreJS(withBulkGC(func() (*device.RestoreResult, error) { return d.RestoreBackup(key, body, progress) }))
			}
		}),
		"_restoreBegin": Async("Device.restoreBackup", deviceRestoreBegin),
		"_restorePrepare": Async("Device.restoreBackup", func(a *Args) Work {
			in, count := a.Bytes(0, "batch", -1), a.Int(1, "count")
			return func() (any, error) {
				defer clear(in)
				return prepareBatch(in, count)
			}
		}),
		"_restoreAddPrepared": Async("Device.restoreBackup", deviceRestoreAddPrepared),
		"_restoreAbort": Async("Device.restoreBackup", func(a *Args) Work {
			h, id := a.Int(0, "device"), a.Int(1, "restore")
			return func() (any, error) {
				r, err := lookupRestore(h, id, true)
				if r != nil {
					r.Abort()
				}
				return nil, err
			}
		}),
		"_restoreCommit": Async("Device.restoreBackup", deviceRestoreCommit),
		"storeSecret": onDevice("Device.storeSecret", func(a *Args) func(*device.Device) (any, error) {
			name, secret, keyID := a.String(1, "name"), a.String(2, "secret"), a.String(3, "keyId")
			key := a.Secret(4, "key", 32)
			return func(d *device.Device) (any, error) { return rawOrErr(d.StoreSecret(name, secret, keyID, key)) }
		}),
		"getSecret": onDevice("Device.getSecret", func(a *Args) func(*device.Device) (any, error) {
			name := a.String(1, "name")
			content := a.JSON(2, "accountData")
			keyID := a.OptString(3, "keyId", "")
			key := a.Secret(4, "key", 32)
			return func(d *device.Device) (any, error) { return d.GetSecret(name, content, keyID, key) }
		}),
		"requestSecret": onDevice("Device.requestSecret", func(a *Args) func(*device.Device) (any, error) {
			name := a.String(1, "name")
			return func(d *device.Device) (any, error) {
				r, err := d.RequestSecret(name)
				if err != nil {
					return nil, err
				}
				return map[string]any{"requestId": r.RequestID, "content": RawJSON(r.Content)}, nil
			}
		}),
		"cancelSecretRequest": onDevice("Device.cancelSecretRequest", func(a *Args) func(*device.Device) (any, error) {
			id := a.String(1, "requestId")
			return func(d *device.Device) (any, error) { return rawOrErr(d.CancelSecretRequest(id)) }
		}),
		"answerSecretRequest": onDevice("Device.answerSecretRequest", func(a *Args) func(*device.Device) (any, error) {
			ev := a.JSON(1, "requestEvent")
			verified := a.Option(2, "deviceIsVerified").Truthy()
			return func(d *device.Device) (any, error) { return rawOrErr(d.AnswerSecretRequest(ev, verified)) }
		}),
		"receiveSecret": onDevice("Device.receiveSecret", func(a *Args) func(*device.Device) (any, error) {
			ev := &device.ToDeviceEvent{
				Type: optString(a, 1, "type"), Sender: optString(a, 1, "sender"), SenderDevice: optString(a, 1, "senderDevice"),
				SenderKey: optString(a, 1, "senderKey"), SenderEd25519: optString(a, 1, "senderEd25519"),
			}
			if c := a.Option(1, "content"); c.Type() == js.TypeObject {
				s, err := stringify(c)
				if err != nil {
					a.fail(errcode.BadInput, "event.content cannot be serialised: %v", err)
				}
				ev.Content = []byte(s)
			}
			verified := a.Option(2, "senderIsVerified").Truthy()
			return func(d *device.Device) (any, error) {
				r, err := d.ReceiveSecret(ev, verified)
				if err != nil {
					return nil, err
				}
				return map[string]any{"name": r.Name, "secret": r.Secret}, nil
			}
		}),
		"exportRoomKeys": onDevice("Device.exportRoomKeys", func(a *Args) func(*device.Device) (any, error) {
			pass := a.String(1, "passphrase")
			iterations := a.OptInt(2, "iterations", 0)
			return func(d *device.Device) (any, error) { return d.ExportRoomKeys(pass, iterations) }
		}),
		"importRoomKeys": onDevice("Device.importRoomKeys", func(a *Args) func(*device.Device) (any, error) {
			text, pass := a.String(1, "text"), a.String(2, "passphrase")
			progress := progressArg(a, 3)
			return func(d *device.Device) (any, error) { return restoreJS(d.ImportRoomKeys(text, pass, progress)) }
		}),
		// Key files with PBKDF2 done by the loader (WebCrypto, off the JS
		// thread): the parameters, then the call with the derived key.
		"_keyFileParams": Async("Device.importRoomKeys", func(a *Args) Work {
			text := a.String(0, "text")
			return func() (any, error) { return keyFileParamsJS(device.ReadKeyFileParams(text)) }
		}),
		"_newKeyFileParams": Async("Device.exportRoomKeys", func(a *Args) Work {
			iterations := a.OptInt(0, "iterations", 0)
			return func() (any, error) { return keyFileParamsJS(device.NewKeyFileParams(iterations)) }
		}),
		"_importRoomKeysWithKey": onDevice("Device.importRoomKeys", func(a *Args) func(*device.Device) (any, error) {
			text, key := a.String(1, "text"), a.Bytes(2, "key", device.KeyFileKeySize)
			progress := progressArg(a, 3)
			return func(d *device.Device) (any, error) {
				defer clear(key)
				return restoreJS(d.ImportRoomKeysWithKey(text, key, progress))
			}
		}),
		"_exportRoomKeysWithKey": onDevice("Device.exportRoomKeys", func(a *Args) func(*device.Device) (any, error) {
			key, salt := a.Bytes(1, "key", device.KeyFileKeySize), a.Bytes(2, "salt", -1)
			iterations := a.Int(3, "iterations")
			return func(d *device.Device) (any, error) {
				defer clear(key)
				return d.ExportRoomKeysWithKey(key, &device.KeyFileParams{Salt: salt, Iterations: iterations})
			}
		}),
	})
}

// deviceOpen: (userId, deviceId, store options as for store.open,
// {fallbackRetentionMs}, lock).
func deviceOpen(a *Args) Work {
	user, dev := a.String(0, "userId"), a.String(1, "deviceId")
	spec := storeSpecArg(a, 2, 4)
	retention := optUint(a, 3, "fallbackRetentionMs")
	return func() (any, error) {
		st, err := openStore(spec)
		if err != nil {
			return nil, errcode.Context(err, "openDevice")
		}
		d, err := device.Open(st, device.Options{UserID: user, DeviceID: dev, FallbackRetention: time.Duration(retention) * time.Millisecond})
		if err != nil {
			st.Close()
			return nil, err
		}
		h := register(&deviceHandle{d: d, owned: map[int]bool{}, retention: time.Duration(retention) * time.Millisecond})
		ik := d.IdentityKeys()
		return map[string]any{"handle": h, "identityKeys": map[string]any{"curve25519": ik.Curve25519, "ed25519": ik.Ed25519}}, nil
	}
}

func deviceClose(a *Args) Work {
	h := a.Int(0, "device")
	return func() (any, error) {
		dh, ok := take[*deviceHandle](h)
		if !ok {
			return nil, nil
		}
		dh.mu.Lock()
		for o := range dh.owned {
			forget(o)
		}
		dh.owned = nil
		dh.mu.Unlock()
		return nil, dh.d.Close()
	}
}

// Batches stay in Go until marked: they carry what was encrypted, so a key
// that changed meanwhile stays pending.
func deviceNextBatch(a *Args) Work {
	h := a.Int(0, "device")
	max := a.Int(1, "maxKeys")
	return func() (any, error) {
		dh, err := lookupDevice(h)
		if err != nil {
			return nil, err
		}
		b, err := dh.d.NextBackupBatch(max)
		if err != nil || b == nil {
			return nil, err
		}
		id := dh.own(deviceBatch{dh, b})
		return map[string]any{"batchId": id, "version": b.Version, "count": b.Count, "body": RawJSON(b.Body)}, nil
	}
}

func deviceMarkBackedUp(a *Args) Work {
	h := a.Int(0, "device")
	id := a.Int(1, "batchId")
	return func() (any, error) {
		dh, err := lookupDevice(h)
		if err != nil {
			return nil, err
		}
		b, ok := lookup[deviceBatch](id)
		if !ok || b.owner != dh {
			return nil, errcode.New(errcode.BadInput, "Device.markBackedUp: unknown batch (already marked, of another device, or from before a restart)")
		}
		forget(id)
		dh.mu.Lock()
		delete(dh.owned, id)
		dh.mu.Unlock()
		return nil, dh.d.MarkBackedUp(b.b)
	}
}

func rawOrErr(b []byte, err error) (any, error) {
	if err != nil || b == nil {
		return nil, err
	}
	return RawJSON(b), nil
}

func restoreJS(r *device.RestoreResult, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	failures := map[string]any{}
	for c, n := range r.Failures {
		failures[string(c)] = n
	}
	return map[string]any{"total": r.Total, "imported": r.Imported, "skipped": r.Skipped, "failures": failures}, nil
}

func keyFileParamsJS(p *device.KeyFileParams, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"salt": p.Salt, "iterations": p.Iterations}, nil
}

func progressArg(a *Args, i int) device.Progress {
	fn := a.Func(i, "onProgress")
	if fn.IsUndefined() {
		return nil
	}
	return func(stage string, done, total int) { fn.Invoke(stage, done, total) }
}

func optString(a *Args, i int, prop string) string {
	v := a.Option(i, prop)
	if v.IsUndefined() || v.IsNull() {
		return ""
	}
	if v.Type() != js.TypeString {
		a.fail(errcode.BadInput, "%s must be a string, got %s", prop, describe(v))
		return ""
	}
	return v.String()
}

func optUint(a *Args, i int, prop string) uint64 {
	v := a.Option(i, prop)
	if v.IsUndefined() || v.IsNull() {
		return 0
	}
	if v.Type() != js.TypeNumber || !js.Global().Get("Number").Call("isSafeInteger", v).Bool() || v.Int() < 0 {
		a.fail(errcode.BadInput, "%s must be a non-negative integer, got %s", prop, describe(v))
		return 0
	}
	return uint64(v.Int())
}

// countsArg reads /sync's device_one_time_keys_count.
func countsArg(data []byte) (map[string]int, error) {
	if data == nil {
		return nil, nil
	}
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return nil, err
	}
	o, err := jsonvalue.AsObject(v, "oneTimeKeyCounts")
	if err != nil {
		return nil, err
	}
	keys := o.Keys()
	slices.Sort(keys)
	out := map[string]int{}
	for _, k := range keys {
		out[k] = o.Int(k)
	}
	return out, o.Err()
}

// A restore whose entries the loader decrypts (native X25519, workers):
// begin checks the key, add takes chunks of decrypted entries, commit
// stores them all in one transaction.
func deviceRestoreBegin(a *Args) Work {
	h := a.Int(0, "device")
	key := a.Bytes(1, "privateKey", 32)
	return func() (any, error) {
		defer clear(key) // BeginRestore keeps its own copy
		dh, err := lookupDevice(h)
		if err != nil {
			return nil, err
		}
		r, err := dh.d.BeginRestore(key)
		if err != nil {
			return nil, err
		}
		return dh.own(deviceRestore{dh, r}), nil
	}
}

// deviceRestoreAddPrepared: (device, restoreId, prepared batch from
// _restorePrepare, JSON text of [code, ...] for entries that failed before).
func deviceRestoreAddPrepared(a *Args) Work {
	h, id := a.Int(0, "device"), a.Int(1, "restore")
	batch, failures := a.Bytes(2, "prepared", -1), a.String(3, "failures")
	return func() (any, error) {
		r, err := lookupRestore(h, id, false)
		if err != nil {
			return nil, err
		}
		codes, err := jsonArray(failures, "failures")
		if err != nil {
			return nil, err
		}
		if err := readPrepared(batch, r.AddPrepared, r.AddFailure); err != nil {
			return nil, err
		}
		for _, c := range codes {
			code, _ := c.(string)
			r.AddFailure(bridgewire.PreparedCode([]byte(code)))
		}
		return nil, nil
	}
}

func deviceRestoreCommit(a *Args) Work {
	h, id := a.Int(0, "device"), a.Int(1, "restore")
	progress := progressArg(a, 2)
	return func() (any, error) {
		r, err := lookupRestore(h, id, true)
		if err != nil {
			return nil, err
		}
		return restoreJS(withBulkGC(func() (*device.RestoreResult, error) { return r.Commit(progress) }))
	}
}

func lookupRestore(h, id int, remove bool) (*device.Restore, error) {
	dh, err := lookupDevice(h)
	if err != nil {
		return nil, err
	}
	r, ok := lookup[deviceRestore](id)
	if !ok || r.owner != dh {
		return nil, errcode.New(errcode.BadInput, "this restore is not in progress on this device")
	}
	if remove {
		forget(id)
		dh.mu.Lock()
		delete(dh.owned, id)
		dh.mu.Unlock()
	}
	return r.r, nil
}

func jsonArray(text, name string) ([]any, error) {
	v, err := jsonvalue.Parse([]byte(text))
	if err != nil {
		return nil, errcode.Context(err, name)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errcode.New(errcode.BadInput, "%s must be a JSON array", name)
	}
	return list, nil
}

// optBool reads an optional boolean option (store.mjs checked its type).
func optBool(a *Args, i int, prop string) bool {
	return a.Option(i, prop).Equal(js.ValueOf(true))
}

// deviceFallbackKeyStatus: the fallback keys held (current first, then the
// replaced ones kept to decrypt late pre-key messages), with when each
// replaced key may be forgotten: replaced + retention. The most recently
// replaced key is kept past that until another key replaces the current one
// (olm's purge), which a UI cannot predict, so forgetAt is the earliest time.
func deviceFallbackKeyStatus(a *Args) Work {
	handle := a.Int(0, "device")
	return func() (any, error) {
		dh, err := lookupDevice(handle)
		if err != nil {
			return nil, err
		}
		keys, err := dh.d.FallbackKeys()
		if err != nil {
			return nil, err
		}
		retention := dh.retention
		if retention <= 0 {
			retention = olm.DefaultFallbackRetention
		}
		out := fallbackStatusJS(keys)
		for i, k := range keys {
			var forget any
			if !k.Current && !k.Replaced.IsZero() {
				forget = float64(k.Replaced.Add(retention).UnixMilli())
			}
			m := out[i].(map[string]any)
			m["forgetAt"] = forget
			// The newest replaced key (the first after the current one)
			// outlives forgetAt until the next rotation.
			m["keptUntilNextRotation"] = !k.Current && (i == 0 || keys[i-1].Current)
		}
		return out, nil
	}
}
