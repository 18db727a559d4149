package olm

import "math"

// Symmetric-key chains (docs/olm.md §4.1). A chain key C_j yields the message key
// for index j and the next chain key; both are one-way, so a compromised chain
// key reveals nothing about earlier messages.

var (
	chainMessageKeySeed = []byte{0x01}
	chainAdvanceSeed    = []byte{0x02}
)

// chainKey is a chain key together with the index of the message it will
// produce the key for next.
type chainKey struct {
	key   [KeySize]byte
	index uint32
}

// messageKey is M_j = HMAC-SHA-256(C_j, 0x01).
func (c *chainKey) messageKey() [KeySize]byte {
	var mk [KeySize]byte
	copy(mk[:], hmacSHA256(c.key[:], chainMessageKeySeed))
	return mk
}

// advance moves to C_j+1 = HMAC-SHA-256(C_j, 0x02). It reports false, and
// leaves the chain alone, when the 32-bit index would wrap (libolm would
// silently wrap; four billion messages on one chain does not happen).
func (c *chainKey) advance() bool {
	if c.index == math.MaxUint32 {
		return false
	}
	copy(c.key[:], hmacSHA256(c.key[:], chainAdvanceSeed))
	c.index++
	return true
}

// senderChain is our current sending ratchet key pair and its chain.
type senderChain struct {
	ratchetKey curveKey
	chain      chainKey
}

// receiverChain is one of the peer's ratchet public keys and the chain we
// derived for it.
type receiverChain struct {
	ratchetKey [KeySize]byte
	chain      chainKey
}

// skippedKey is the message key of a message that has not arrived yet but
// whose successors have (out-of-order delivery), kept so it can still be
// decrypted later, once.
type skippedKey struct {
	ratchetKey [KeySize]byte
	index      uint32
	messageKey [KeySize]byte
}
