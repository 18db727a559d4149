//go:build js && wasm

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
)

// decryptSharedBatch is the Go half of a bulk backup restore. The loader has
// done the X25519 step with WebCrypto (off the main thread, many in flight)
// and base64-decoded the public fields; Go does HKDF, the MAC check and
// constant-time AES-CBC.
//
// One Uint8Array in, one out, so a batch costs two copies and no per-entry
// bridge calls. The format is bridgewire's backup batch
// (docs/bridge-formats.md §2); the loader's half is in wireformat.mjs.
func decryptSharedBatch(a *Args) Work {
	in := a.Bytes(0, "batch", -1)
	count := a.Int(1, "count")
	return func() (any, error) {
		entries, err := bridgewire.ReadSharedBatch(in, count)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(in))
		for _, e := range entries {
			pt, err := pk.DecryptRaw(e.Shared, e.MAC, e.Ciphertext)
			out = bridgewire.AppendBatchResult(out, pt, err)
		}
		return out, nil
	}
}
