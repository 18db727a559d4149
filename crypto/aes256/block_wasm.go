//go:build wasm

package aes256

import (
	"crypto/cipher"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"gitlab.com/yawning/bsaes.git/ct32"
)

// newBlock is the 32-bit bitsliced core; wasm has no AES instructions, and
// not linking bsaes's dispatcher keeps crypto/aes's tables and the 64-bit
// core out of the module.
func newBlock(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "AES-256 key must be 32 bytes, got %d", len(key))
	}
	return ct32.NewCipher(key), nil
}

// newSerialBlock is the cipher for one block at a time (CBC encryption).
func newSerialBlock(key []byte) (cipher.Block, error) { return newBlock(key) }
