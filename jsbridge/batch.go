//go:build js && wasm

package jsbridge

import (
	"encoding/binary"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// decryptSharedBatch is the Go half of a bulk backup restore. The loader has
// done the X25519 step with WebCrypto (off the main thread, many in flight)
// and base64-decoded the public fields; Go does HKDF, the MAC check and
// constant-time AES-CBC.
//
// One Uint8Array in, one out, so a batch costs two copies and no per-entry
// bridge calls. Input, per entry: shared(32) mac(8) len(u32 LE) ciphertext.
// Output, per entry: status(u8, 0 = ok, else index into batchCodes)
// len(u32 LE) plaintext.
func decryptSharedBatch(a *Args) Work {
	in := a.Bytes(0, "batch", -1)
	count := a.Int(1, "count")
	return func() (any, error) {
		out := make([]byte, 0, len(in))
		for i := 0; i < count; i++ {
			if len(in) < 32+8+4 {
				return nil, errcode.New(errcode.BadInput, "batch truncated at entry %d", i)
			}
			shared, mac := in[:32], in[32:40]
			n := int(binary.LittleEndian.Uint32(in[40:44]))
			if len(in) < 44+n {
				return nil, errcode.New(errcode.BadInput, "batch truncated at entry %d", i)
			}
			ct := in[44 : 44+n]
			in = in[44+n:]
			pt, err := pk.DecryptRaw(shared, mac, ct)
			status := byte(0)
			if err != nil {
				status = batchStatus(errcode.Of(err))
				pt = nil
			}
			out = append(out, status)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(pt)))
			out = append(out, pt...)
		}
		return out, nil
	}
}

// batchCodes must match BATCH_CODES in backup.mjs.
var batchCodes = []errcode.Code{"", errcode.WrongKey, errcode.BadMessage, errcode.BadInput, errcode.Internal}

func batchStatus(c errcode.Code) byte {
	for i, k := range batchCodes {
		if k == c && i > 0 {
			return byte(i)
		}
	}
	return byte(len(batchCodes) - 1)
}
