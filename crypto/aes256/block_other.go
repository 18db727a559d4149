//go:build !wasm

package aes256

import (
	"crypto/cipher"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"gitlab.com/yawning/bsaes.git"
	"gitlab.com/yawning/bsaes.git/ct32"
)

// newBlock is hardware AES where crypto/aes uses it (bsaes checks), else
// the 64-bit bitsliced core (4 blocks per pass).
func newBlock(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "AES-256 key must be 32 bytes, got %d", len(key))
	}
	return bsaes.NewCipher(key)
}

// newSerialBlock is the cipher for one block at a time (CBC encryption):
// hardware AES, else the 32-bit bitsliced core, whose 2-block pass wastes
// less than the 64-bit core's 4-block one.
func newSerialBlock(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "AES-256 key must be 32 bytes, got %d", len(key))
	}
	if bsaes.UsingRuntime() {
		return bsaes.NewCipher(key)
	}
	return ct32.NewCipher(key), nil
}
