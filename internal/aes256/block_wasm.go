//go:build wasm

package aes256

import (
	"crypto/cipher"

	"github.com/mxcrypto/mxcrypto/errcode"
	"gitlab.com/yawning/bsaes.git/ct64"
)

// newBlock is bsaes's 64-bit bitsliced core, called directly: wasm has no
// AES instructions, and not linking bsaes's dispatcher keeps its CPU
// detection, the 32-bit core and crypto/aes's block code out of the module.
func newBlock(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "AES-256 key must be 32 bytes, got %d", len(key))
	}
	return ct64.NewCipher(key), nil
}
