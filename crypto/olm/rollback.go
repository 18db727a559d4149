package olm

import "math"

// NextMessageStartsNewChain reports whether the session has no sending
// chain, so that its next message starts a fresh one on a new random
// ratchet key: such a message uses no key any earlier state of the session
// could have used.
func (s *Session) NextMessageStartsNewChain() bool { return !s.ratchet.hasSender }

// AdvanceSendingChain moves the session's sending chain forward n message
// keys without using them, as if n messages had been sent and lost: for a
// session whose stored state went back in time by at most n messages, so
// that the next message uses a key never used before, on a chain the peer
// still reads (it skips up to MaxMessageGap keys). It reports false,
// changing nothing, when the session has no sending chain (its next
// message starts a fresh one anyway) or the chain would pass 2^32.
func (s *Session) AdvanceSendingChain(n uint32) bool {
	c := s.ratchet.sender.chain
	if !s.ratchet.hasSender || uint64(c.index)+uint64(n) > math.MaxUint32 {
		return false
	}
	for range n {
		c.advance()
	}
	s.ratchet.sender.chain = c
	return true
}
