package store

import (
	"bytes"

	"github.com/mxcrypto/mxcrypto/internal/bincodec"
)

// The store's binary encodings (manifest, segment chunks, KEY header) use the
// module's one strict codec, internal/bincodec: uvarints in their shortest
// form and length-prefixed strings, so decode then encode gives back the same
// bytes.

// enc appends the store's encodings.
type enc = bincodec.Writer

// dec reads what enc wrote; its failures are StoreCorrupt errors (err,
// finish). Reads after the first failure return zero values, so decoders
// check once at the end.
type dec struct{ *bincodec.Reader }

func newDec(b []byte, what string) dec { return dec{bincodec.NewReader(b, what)} }

// err is the first failure as a StoreCorrupt error, or nil.
func (d dec) err() error { return asDamaged(d.Err()) }

// finish is err, failing also on bytes left over.
func (d dec) finish() error { return asDamaged(d.Finish()) }

// bytes copies, so decoded records do not pin the whole decrypted buffer.
func (d dec) bytes(max int, field string) []byte {
	p := d.BytesMax(max, field)
	if p == nil {
		return nil
	}
	return bytes.Clone(p)
}

func asDamaged(err error) error {
	if err == nil {
		return nil
	}
	return damaged("%s", err.Error())
}
