//go:build !mxcrypto_core

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
	"github.com/mxcrypto/mxcrypto/store"
)

// A prepared batch carries restored room keys from a worker thread's
// instance, which decrypted and checked them, to the main instance, which
// stores them: bytes that need no parsing beyond their lengths, so the main
// thread does little per key. The formats (prepare batch in, prepared batch
// out) are bridgewire's, docs/bridge-formats.md §3–4.

// readPrepared calls key or failure for each entry of a prepared batch, in
// order; a malformed batch is BAD_INPUT before any entry is passed on.
func readPrepared(b []byte, key func(store.InboundSession), failure func(errcode.Code)) error {
	return bridgewire.ReadPrepared(b, func(in bridgewire.Inbound) { key(store.InboundSession(in)) }, failure)
}

// prepareBatch decrypts count backup entries whose X25519 step was done by
// the host and prepares each as a room key to restore (device.PrepareRestored),
// returning a prepared batch. The decrypted session data stays in Go and is
// wiped after use.
func prepareBatch(in []byte, count int) ([]byte, error) {
	entries, err := bridgewire.ReadPrepareBatch(in, count)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(in))
	for _, e := range entries {
		pt, err := pk.DecryptRaw(e.Shared, e.MAC, e.Ciphertext)
		clear(e.Shared)
		var rec store.InboundSession
		if err == nil {
			rec, err = device.PrepareRestored(string(e.RoomID), string(e.SessionID), pt)
			clear(pt)
		}
		if err != nil {
			out = bridgewire.AppendPreparedFailure(out, errcode.Of(err))
		} else {
			out = bridgewire.AppendPreparedKey(out, bridgewire.Inbound(rec))
		}
	}
	return out, nil
}
