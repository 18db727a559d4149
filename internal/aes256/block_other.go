//go:build !wasm

package aes256

import (
	"crypto/cipher"

	"github.com/mxcrypto/mxcrypto/errcode"
	"gitlab.com/yawning/bsaes.git"
)

// newBlock is hardware AES where crypto/aes uses it (bsaes checks), else a
// bitsliced core.
func newBlock(key []byte) (cipher.Block, error) {
	if len(key) != KeySize {
		return nil, errcode.New(errcode.BadInput, "AES-256 key must be 32 bytes, got %d", len(key))
	}
	return bsaes.NewCipher(key)
}
