//go:build js && wasm && !mxcrypto_core

package jsbridge

import (
	"sync"
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/device/machine"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Machines sit on open devices: a machine is addressed by its device's
// handle (machine.mjs opens the device through device.mjs, then attaches).
// Its in-memory part (requests in flight) goes with the instance; what
// matters is in the store.

var machines = struct {
	sync.Mutex
	open map[int]*machine.Machine
}{open: map[int]*machine.Machine{}}

func lookupMachine(h int) (*machine.Machine, error) {
	if _, err := lookupDevice(h); err != nil {
		return nil, err
	}
	machines.Lock()
	defer machines.Unlock()
	m := machines.open[h]
	if m == nil {
		return nil, errcode.New(noHandle, "this machine is not open in this instance (closed, or the module restarted)")
	}
	return m, nil
}

// onMachine is a handler whose first argument is the device handle.
//
// Not inlined: inlined, each call site got its own copy of the closures
// (about 1 KB of wasm each).
//
//go:noinline
func onMachine(name string, h func(a *Args) func(m *machine.Machine) (any, error)) js.Func {
	return Async(name, func(a *Args) Work {
		handle := a.Int(0, "machine")
		fn := h(a)
		return func() (any, error) {
			m, err := lookupMachine(handle)
			if err != nil {
				return nil, err
			}
			return fn(m)
		}
	})
}

func machineAPI() js.Value {
	return object(map[string]any{
		"attach": Async("openMachine", func(a *Args) Work {
			handle := a.Int(0, "device")
			return func() (any, error) {
				dh, err := lookupDevice(handle)
				if err != nil {
					return nil, err
				}
				m, err := machine.Open(dh.d, nil)
				if err != nil {
					return nil, err
				}
				machines.Lock()
				for h := range machines.open { // forget machines of closed devices
					if _, err := lookupDevice(h); err != nil {
						delete(machines.open, h)
					}
				}
				machines.open[handle] = m
				machines.Unlock()
				return nil, nil
			}
		}),
		"receiveSyncChanges": onMachine("Machine.receiveSyncChanges", func(a *Args) func(*machine.Machine) (any, error) {
			raw := a.JSON(1, "changes")
			return func(m *machine.Machine) (any, error) {
				ch, err := syncChangesArg(raw)
				if err != nil {
					return nil, err
				}
				r, err := m.ReceiveSyncChanges(ch)
				if err != nil {
					return nil, err
				}
				evs := []any{}
				for _, t := range r.ToDevice {
					evs = append(evs, toDeviceResultJS(t))
				}
				return map[string]any{"toDeviceEvents": evs, "events": eventsJS(r.Events)}, nil
			}
		}),
		"outgoingRequests": onMachine("Machine.outgoingRequests", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) {
				reqs, err := m.OutgoingRequests()
				if err != nil {
					return nil, err
				}
				return requestsJS(reqs), nil
			}
		}),
		"markRequestAsSent": onMachine("Machine.markRequestAsSent", func(a *Args) func(*machine.Machine) (any, error) {
			id, typ := a.String(1, "id"), a.String(2, "type")
			var body []byte
			if a.Present(3) {
				body = a.Any(3, "responseBody")
			}
			status := int(optUint(a, 4, "status"))
			return func(m *machine.Machine) (any, error) {
				evs, err := m.MarkRequestAsSent(id, typ, machine.Response{Status: status, Body: body})
				if err != nil {
					return nil, err
				}
				return map[string]any{"events": eventsJS(evs)}, nil
			}
		}),
		"updateTrackedUsers": onMachine("Machine.updateTrackedUsers", func(a *Args) func(*machine.Machine) (any, error) {
			users := a.StringList(1, "userIds")
			return func(m *machine.Machine) (any, error) { return nil, m.UpdateTrackedUsers(users) }
		}),
		"trackedUsers": onMachine("Machine.trackedUsers", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) {
				users, err := m.TrackedUsers()
				if err != nil {
					return nil, err
				}
				return stringsJS(users), nil
			}
		}),
		"getUserDevices": onMachine("Machine.getUserDevices", func(a *Args) func(*machine.Machine) (any, error) {
			user := a.String(1, "userId")
			return func(m *machine.Machine) (any, error) {
				devs, err := m.UserDevices(user)
				if err != nil {
					return nil, err
				}
				out := []any{}
				for i := range devs {
					out = append(out, knownDeviceJS(&devs[i]))
				}
				return out, nil
			}
		}),
		"setDeviceTrust": onMachine("Machine.setDeviceTrust", func(a *Args) func(*machine.Machine) (any, error) {
			user, dev, trust := a.String(1, "userId"), a.String(2, "deviceId"), a.String(3, "trust")
			return func(m *machine.Machine) (any, error) { return nil, m.SetDeviceTrust(user, dev, machine.Trust(trust)) }
		}),
		"shareRoomKey": onMachine("Machine.shareRoomKey", func(a *Args) func(*machine.Machine) (any, error) {
			room := a.String(1, "roomId")
			users := a.StringList(2, "userIds")
			s := machine.ShareSettings{RotationPeriodMs: optUint(a, 3, "rotationPeriodMs"), RotationPeriodMsgs: optUint(a, 3, "rotationPeriodMsgs")}
			if v := a.Option(3, "onlyTrustedDevices"); !v.IsUndefined() && !v.IsNull() {
				if v.Type() != js.TypeBoolean {
					a.fail(errcode.BadInput, "onlyTrustedDevices must be a boolean")
				} else {
					s.OnlyTrustedDevices = v.Bool()
				}
			}
			return func(m *machine.Machine) (any, error) {
				reqs, err := m.ShareRoomKey(room, users, s)
				if err != nil {
					return nil, err
				}
				return requestsJS(reqs), nil
			}
		}),
		"encryptRoomEvent": onMachine("Machine.encryptRoomEvent", func(a *Args) func(*machine.Machine) (any, error) {
			room, typ := a.String(1, "roomId"), a.String(2, "type")
			content := a.JSON(3, "content")
			return func(m *machine.Machine) (any, error) { return rawOrErr(m.EncryptRoomEvent(room, typ, content)) }
		}),
		// A failure comes back as { failure } so machine.mjs can attach
		// withheldCode to the error it throws.
		"decryptRoomEvent": onMachine("Machine.decryptRoomEvent", func(a *Args) func(*machine.Machine) (any, error) {
			room := a.String(1, "roomId")
			ev := a.JSON(2, "event")
			return func(m *machine.Machine) (any, error) {
				r, err := m.DecryptRoomEvent(room, ev)
				return decryptedJS(r, err)
			}
		}),
		// One result per event, each as decryptRoomEvent's: machine.mjs
		// turns a { failure } into an MxCryptoError in the result list.
		"decryptRoomEvents": onMachine("Machine.decryptRoomEvents", func(a *Args) func(*machine.Machine) (any, error) {
			room := a.String(1, "roomId")
			evs := a.JSONList(2, "events")
			return func(m *machine.Machine) (any, error) {
				rs, errs, err := m.DecryptRoomEvents(room, evs)
				if err != nil {
					return nil, err
				}
				out := make([]any, len(evs))
				for i := range evs {
					if out[i], err = decryptedJS(rs[i], errs[i]); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
		}),
		"syncToken": onMachine("Machine.syncToken", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) {
				tok, err := m.SyncToken()
				if err != nil || tok == "" {
					return nil, err
				}
				return tok, nil
			}
		}),
		"setSyncToken": onMachine("Machine.setSyncToken", func(a *Args) func(*machine.Machine) (any, error) {
			tok := ""
			if a.Present(1) {
				tok = a.String(1, "token")
			}
			return func(m *machine.Machine) (any, error) { return nil, m.SetSyncToken(tok) }
		}),
		"enableBackup": onMachine("Machine.enableBackup", func(a *Args) func(*machine.Machine) (any, error) {
			version, pub := optString(a, 1, "version"), optString(a, 1, "publicKey")
			var priv []byte
			var text string
			if k := a.Option(1, "privateKey"); !k.IsUndefined() && !k.IsNull() {
				switch {
				case k.Type() == js.TypeString:
					text = k.String()
				case k.Type() == js.TypeObject && k.InstanceOf(uint8ArrayCtor) && k.Length() == 32:
					priv = make([]byte, 32)
					js.CopyBytesToGo(priv, k)
				default:
					a.fail(errcode.BadInput, "privateKey must be a 32-byte Uint8Array or a recovery key")
				}
			}
			return func(m *machine.Machine) (any, error) {
				if text != "" {
					var err error
					if priv, err = recoverykey.Decode(text); err != nil {
						return nil, err
					}
				}
				defer clear(priv)
				return nil, m.EnableBackup(version, pub, priv)
			}
		}),
		"disableBackup": onMachine("Machine.disableBackup", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) { return nil, m.DisableBackup() }
		}),
		"bootstrapCrossSigning": onMachine("Machine.bootstrapCrossSigning", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) {
				r, err := m.BootstrapCrossSigning()
				if err != nil {
					return nil, err
				}
				return requestsJS([]machine.Request{*r})[0], nil
			}
		}),
		"importCrossSigningKeys": onMachine("Machine.importCrossSigningKeys", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) { return crossSigningStatusJS(m.ImportCrossSigningKeys()) }
		}),
		"restoreCrossSigning": onMachine("Machine.restoreCrossSigning", func(a *Args) func(*machine.Machine) (any, error) {
			raw := a.JSON(1, "accountData")
			key := a.Secret(2, "key", ssss.KeySize)
			keyID := a.String(3, "keyId")
			return func(m *machine.Machine) (any, error) {
				defer clear(key)
				o, err := jsonvalue.ParseObject(raw)
				if err != nil {
					return nil, err
				}
				data := map[string][]byte{}
				for name, c := range o {
					if c == nil {
						continue
					}
					if data[name], err = device.EncodeJSON(c); err != nil {
						return nil, err
					}
				}
				return crossSigningStatusJS(m.RestoreCrossSigning(data, keyID, key))
			}
		}),
		"crossSigningSecretsForStorage": onMachine("Machine.crossSigningSecretsForStorage", func(a *Args) func(*machine.Machine) (any, error) {
			keyID := a.String(1, "keyId")
			key := a.Secret(2, "key", ssss.KeySize)
			return func(m *machine.Machine) (any, error) {
				defer clear(key)
				out, err := m.CrossSigningSecretsForStorage(keyID, key)
				if err != nil {
					return nil, err
				}
				js := map[string]any{}
				for name, c := range out {
					js[name] = RawJSON(c)
				}
				return js, nil
			}
		}),
		"crossSigningStatus": onMachine("Machine.crossSigningStatus", func(a *Args) func(*machine.Machine) (any, error) {
			return func(m *machine.Machine) (any, error) { return crossSigningStatusJS(m.CrossSigningStatus()) }
		}),
		"userIdentity": onMachine("Machine.userIdentity", func(a *Args) func(*machine.Machine) (any, error) {
			user := a.String(1, "userId")
			return func(m *machine.Machine) (any, error) {
				id, err := m.UserIdentity(user)
				if err != nil {
					return nil, err
				}
				var master, pinned any
				if id.MasterKey != "" {
					master = id.MasterKey
				}
				if id.PinnedMasterKey != "" {
					pinned = id.PinnedMasterKey
				}
				return map[string]any{"userId": id.UserID, "masterKey": master, "verified": id.Verified, "pinnedMasterKey": pinned, "identityChanged": id.Changed, "wasVerified": id.WasVerified}, nil
			}
		}),
		"pinIdentity": onMachine("Machine.pinIdentity", func(a *Args) func(*machine.Machine) (any, error) {
			user := a.String(1, "userId")
			return func(m *machine.Machine) (any, error) { return nil, m.PinIdentity(user) }
		}),
		"verifyUser": onMachine("Machine.verifyUser", func(a *Args) func(*machine.Machine) (any, error) {
			user := a.String(1, "userId")
			return func(m *machine.Machine) (any, error) { return nil, m.VerifyUser(user) }
		}),
		"verifyBackup": onMachine("Machine.verifyBackup", func(a *Args) func(*machine.Machine) (any, error) {
			info := a.JSON(1, "versionInfo")
			return func(m *machine.Machine) (any, error) { return backupTrustJS(m.VerifyBackup(info)) }
		}),
		"enableBackupVersion": onMachine("Machine.enableBackup", func(a *Args) func(*machine.Machine) (any, error) {
			info := a.JSON(1, "versionInfo")
			var priv []byte
			if a.Present(2) {
				priv = a.Secret(2, "privateKey", 32)
			}
			return func(m *machine.Machine) (any, error) {
				defer clear(priv)
				return backupTrustJS(m.EnableBackupVersion(info, priv))
			}
		}),
		"signBackupVersion": onMachine("Machine.createBackupVersion", func(a *Args) func(*machine.Machine) (any, error) {
			body := a.JSON(1, "body")
			return func(m *machine.Machine) (any, error) { return rawOrErr(m.SignBackupVersion(body)) }
		}),
		"requestSecret": onMachine("Machine.requestSecret", func(a *Args) func(*machine.Machine) (any, error) {
			name := a.String(1, "name")
			return func(m *machine.Machine) (any, error) { return nil, m.RequestSecret(name) }
		}),
	})
}

// isBug: failures that are not about the event (store trouble, bugs) stay rejections.
// decryptedJS is a decrypted room event for JS, or its failure as
// { failure } so machine.mjs can attach withheldCode to the error it
// throws; a bug or a store failure is returned as the call's error.
func decryptedJS(r *machine.RoomEvent, err error) (any, error) {
	if err != nil {
		f := map[string]any{"code": string(errcode.Of(err)), "message": err.Error()}
		if w, ok := machine.AsWithheld(err); ok {
			f["withheldCode"] = w.Code
			f["withheldReason"] = w.Reason
		}
		if isBug(err) {
			return nil, err
		}
		return map[string]any{"failure": f}, nil
	}
	var sd any
	if r.SenderDevice != nil {
		sd = knownDeviceJS(r.SenderDevice)
	}
	return map[string]any{
		"type": r.Type, "content": RawJSON(r.Content), "sender": r.Sender, "senderDevice": sd,
		"senderKey": r.SenderKey, "senderEd25519": r.SenderEd25519, "sessionId": r.SessionID,
		"messageIndex": int(r.MessageIndex), "imported": r.Imported, "forwarded": r.Imported,
	}, nil
}

func isBug(err error) bool {
	switch errcode.Of(err) {
	case errcode.Internal, store.StoreFailure, store.Closed:
		return true
	}
	return false
}

func syncChangesArg(raw []byte) (machine.SyncChanges, error) {
	var ch machine.SyncChanges
	v, err := jsonvalue.Parse(raw)
	if err != nil {
		return ch, err
	}
	o, err := jsonvalue.AsObject(v, "changes")
	if err != nil {
		return ch, err
	}
	if evs, ok := o.Raw("toDeviceEvents").([]any); ok {
		for i, e := range evs {
			if _, ok := e.(map[string]any); !ok {
				return ch, errcode.New(errcode.BadInput, "changes.toDeviceEvents[%d] must be an object", i)
			}
			b, err := device.EncodeJSON(e)
			if err != nil {
				return ch, err
			}
			ch.ToDeviceEvents = append(ch.ToDeviceEvents, b)
		}
	} else if o.Raw("toDeviceEvents") != nil {
		return ch, errcode.New(errcode.BadInput, "changes.toDeviceEvents must be an array")
	}
	if cd, ok := o.OptObject("changedDevices"); ok {
		if ch.Changed, err = stringArray(cd.Raw("changed"), "changedDevices.changed"); err != nil {
			return ch, err
		}
		if ch.Left, err = stringArray(cd.Raw("left"), "changedDevices.left"); err != nil {
			return ch, err
		}
	}
	if c, ok := o.OptObject("oneTimeKeyCounts"); ok {
		ch.OneTimeKeyCounts = map[string]int{}
		for _, k := range c.Keys() {
			ch.OneTimeKeyCounts[k] = c.Int(k)
		}
	}
	if u := o.Raw("unusedFallbackKeyTypes"); u != nil {
		if ch.UnusedFallbackKeyTypes, err = stringArray(u, "unusedFallbackKeyTypes"); err != nil {
			return ch, err
		}
		if ch.UnusedFallbackKeyTypes == nil {
			ch.UnusedFallbackKeyTypes = []string{}
		}
	}
	ch.NextBatch = o.OptString("nextBatch")
	if o.Raw("nextBatch") == nil {
		ch.NextBatch = ""
	}
	return ch, o.Err()
}

func stringArray(v any, name string) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, errcode.New(errcode.BadInput, "%s must be an array of strings", name)
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, errcode.New(errcode.BadInput, "%s must be an array of strings", name)
		}
		out = append(out, s)
	}
	return out, nil
}

func requestsJS(reqs []machine.Request) []any {
	out := make([]any, 0, len(reqs))
	for _, r := range reqs {
		var body any
		if r.Body != nil {
			body = RawJSON(r.Body)
		}
		out = append(out, map[string]any{"id": r.ID, "type": r.Type, "method": r.Method, "path": r.Path, "body": body})
	}
	return out
}

func eventsJS(evs []machine.Event) []any {
	out := make([]any, 0, len(evs))
	for _, e := range evs {
		out = append(out, map[string]any(e))
	}
	return out
}

func stringsJS(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func knownDeviceJS(d *machine.KnownDevice) map[string]any {
	var name any
	if d.DisplayName != "" {
		name = d.DisplayName
	}
	return map[string]any{
		"userId": d.UserID, "deviceId": d.DeviceID, "displayName": name, "trust": string(d.Trust), "crossSigned": d.CrossSigned,
		"keys": map[string]any{"curve25519": d.Curve25519, "ed25519": d.Ed25519},
	}
}

func toDeviceResultJS(t machine.ToDeviceResult) map[string]any {
	switch {
	case t.Failure != nil:
		var ev any
		if t.Event != nil {
			ev = RawJSON(t.Event)
		}
		return map[string]any{"failure": true, "code": string(errcode.Of(t.Failure)), "message": t.Failure.Error(), "event": ev}
	case t.Decrypted != nil:
		e := t.Decrypted
		return map[string]any{
			"encrypted": true, "type": e.Type, "content": RawJSON(e.Content), "sender": e.Sender, "senderDevice": e.SenderDevice,
			"senderKey": e.SenderKey, "senderEd25519": e.SenderEd25519, "verified": e.Verified,
		}
	}
	return map[string]any{"encrypted": false, "type": t.Type, "sender": t.Sender, "content": RawJSON(t.Content)}
}

func crossSigningStatusJS(s *machine.CrossSigningStatus, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	var master any
	if s.MasterKey != "" {
		master = s.MasterKey
	}
	return map[string]any{
		"published": s.Published, "masterKey": master, "trusted": s.Trusted,
		"hasMaster": s.HasMaster, "hasSelfSigning": s.HasSelfSigning, "hasUserSigning": s.HasUserSigning,
	}, nil
}

func backupTrustJS(t *machine.BackupTrust, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	var version any
	if t.Version != "" {
		version = t.Version
	}
	return map[string]any{
		"trusted": t.Trusted, "signedByMaster": t.SignedByMaster, "signedByDevices": stringsJS(t.SignedByDevices),
		"keyMatches": t.KeyMatches, "version": version, "publicKey": t.PublicKey,
	}, nil
}
