//go:build js && wasm && !mxcrypto_core

package jsbridge

import "github.com/mxcrypto/mxcrypto/device/machine"

// Machine.encryptRoomEvent and decryptRoomEvent as direct calls, for a
// machine on an in-process store (the memory backend): its operations never
// wait on JS (no Web Lock, no I/O), so they can run inside the caller's
// stack frame. Going through Async cost ~100 µs per call, more than the
// work. The answer is false (neither export answers that) when the call must take the Async path instead:
// the store is not in-process, or an Async operation is under way (its
// goroutine may hold a lock we would wait for, and it must finish first
// anyway, as calls run in order). Arguments and results are those of the
// Async exports; machine.mjs checks the argument types before calling.
func init() {
	directOps = append(directOps,
		directOp{"_machine.encryptRoomEvent", func(r *request) (any, error) {
			handle, room, typ, content := r.Int("machine"), r.String("roomId"), r.String("type"), r.JSON("content")
			m, ok, err := directMachine(r, handle)
			if !ok || err != nil {
				return notNow(err)
			}
			return rawOrErr(m.EncryptRoomEvent(room, typ, content))
		}},
		directOp{"_machine.decryptRoomEvent", func(r *request) (any, error) {
			handle, room, ev := r.Int("machine"), r.String("roomId"), r.JSON("event")
			m, ok, err := directMachine(r, handle)
			if !ok || err != nil {
				return notNow(err)
			}
			return decryptedJS(m.DecryptRoomEvent(room, ev))
		}},
	)
}

// directMachine is the machine of a direct call, ok when the call may run
// here (see above).
func directMachine(r *request, handle int) (m *machine.Machine, ok bool, err error) {
	if r.Err() != nil || inFlight != 0 {
		return nil, false, nil
	}
	if m, err = lookupMachine(handle); err != nil {
		return nil, false, err
	}
	if !m.InProcessStore() {
		return nil, false, nil
	}
	machineDirectCalls++
	return m, true, nil
}

func notNow(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return false, nil
}
