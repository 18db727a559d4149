package bridgewire

import "github.com/mxcrypto/mxcrypto/errcode"

// The backup decrypt batch (docs/bridge-formats.md §2). The loader has done
// the X25519 step; per entry it sends
//
//	shared secret 32 | mac 8 | u32 ciphertext length | ciphertext
//
// and Go answers, per entry,
//
//	status u8 | u32 plaintext length | plaintext
//
// where status 0 is success and any other indexes BatchCodes.

const (
	SharedSize = 32
	MACSize    = 8
)

// SharedEntry is one backup entry whose X25519 step is done. Its slices
// alias the batch.
type SharedEntry struct{ Shared, MAC, Ciphertext []byte }

func (w *Writer) SharedEntry(e SharedEntry) {
	w.Raw(e.Shared)
	w.Raw(e.MAC)
	w.Bytes32(e.Ciphertext)
}

func (r *Reader) SharedEntry() SharedEntry {
	return SharedEntry{Shared: r.Fixed(SharedSize, "shared secret"), MAC: r.Fixed(MACSize, "mac"), Ciphertext: r.Bytes32("ciphertext")}
}

// ReadSharedBatch reads count entries and nothing more.
func ReadSharedBatch(b []byte, count int) ([]SharedEntry, error) {
	r := NewReader(b, "backup batch")
	if count < 0 || count > len(b)/(SharedSize+MACSize+4) {
		r.Fail("%d entries cannot fit in %d bytes", count, len(b))
	}
	var out []SharedEntry
	for i := 0; i < count && r.err == nil; i++ {
		out = append(out, r.SharedEntry())
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// BatchCodes are the error codes a batch status can carry: the last one
// stands for any code not in the list. wireformat.mjs holds the same list
// (BATCH_CODES), and both are checked against testdata/wire/batch.json.
var BatchCodes = []errcode.Code{"", errcode.WrongKey, errcode.BadMessage, errcode.BadInput, errcode.Internal}

// BatchStatus is the status byte for a failure with code c.
func BatchStatus(c errcode.Code) byte {
	for i, k := range BatchCodes {
		if k == c && i > 0 {
			return byte(i)
		}
	}
	return byte(len(BatchCodes) - 1)
}

// AppendBatchResult appends one answer entry: success with pt when err is
// nil, otherwise err's status and no plaintext.
func AppendBatchResult(b []byte, pt []byte, err error) []byte {
	w := Writer{B: b}
	if err != nil {
		w.U8(BatchStatus(errcode.Of(err)))
		w.Bytes32(nil)
	} else {
		w.U8(0)
		w.Bytes32(pt)
	}
	return w.B
}

// BatchResult is one decoded answer entry; Code is "" on success.
type BatchResult struct {
	Code      errcode.Code
	Plaintext []byte
}

// ReadBatchResults decodes an answer of count entries (the loader's job;
// here for tests).
func ReadBatchResults(b []byte, count int) ([]BatchResult, error) {
	r := NewReader(b, "backup batch answer")
	var out []BatchResult
	for i := 0; i < count && r.err == nil; i++ {
		s := r.U8("status")
		pt := r.Bytes32("plaintext")
		code := errcode.Internal
		if int(s) < len(BatchCodes) {
			code = BatchCodes[s]
		}
		out = append(out, BatchResult{Code: code, Plaintext: pt})
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}
