//go:build js && wasm

package jsbridge

import (
	"crypto/rand"
	"encoding/binary"
	"sync"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// The one table of objects that live in Go between calls (open stores,
// devices, backup batches, restores), named in JS by handles.
//
// Handles are random 53-bit integers (exact in a JS number), never counted:
// a handle kept by JS across a restart of the instance, or across a close,
// names nothing in the new table (the odds of a collision are 2^-53 per
// lookup), so it fails with noHandle and the JS side reopens its own store
// or rejects. It can never reach another user's device, as counted handles
// did (the first device opened after a restart got handle 1 again).
var handles = struct {
	sync.Mutex
	m map[int]any
}{m: map[int]any{}}

// noHandle is an internal code: store.mjs and device.mjs react to it
// (reopen, or reject with a public code) and never show it to callers.
const noHandle errcode.Code = "NO_STORE"

// register keeps v and returns its new handle.
func register(v any) int {
	handles.Lock()
	defer handles.Unlock()
	for {
		var b [8]byte
		rand.Read(b[:])
		h := int(binary.LittleEndian.Uint64(b[:]) >> 11)
		if _, taken := handles.m[h]; h != 0 && !taken {
			handles.m[h] = v
			return h
		}
	}
}

// lookup returns the object of handle h if it is a T.
func lookup[T any](h int) (T, bool) {
	handles.Lock()
	defer handles.Unlock()
	v, ok := handles.m[h].(T)
	return v, ok
}

// take removes and returns the object of handle h if it is a T.
func take[T any](h int) (T, bool) {
	handles.Lock()
	defer handles.Unlock()
	v, ok := handles.m[h].(T)
	if ok {
		delete(handles.m, h)
	}
	return v, ok
}

// forget removes handles (those of a closed device's batches and restores).
func forget(hs ...int) {
	handles.Lock()
	defer handles.Unlock()
	for _, h := range hs {
		delete(handles.m, h)
	}
}
