package olm

import (
	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// libolm Session pickles (docs/olm.md §7.4):
//
//	u32 version (1; 0x80000001 has one extra ignored u32 at the end)
//	bool received_message
//	Alice identity key, Alice base key, Bob one-time key, root key (32 each)
//	u32 count (0..1): sender chain = ratchet public || private || chain key || u32 index
//	u32 count (0..5): receiver chains, newest first = ratchet public || chain key || u32 index
//	u32 count (0..40): skipped keys, newest first = ratchet public || message key || u32 index
//
// The session's limits are libolm's, so import and export are lossless.

const (
	libolmSessionVersion        = 1
	libolmSessionVersionLogging = 0x80000001
)

// ImportLibolmSession reads a libolm session pickle made with the given
// pickle key. A MAC mismatch is WrongKey, a malformed pickle BadPickle. A
// session with neither a sending nor a receiving chain is refused (as
// vodozemac does): it could never encrypt or decrypt.
func ImportLibolmSession(key []byte, pickle string) (*Session, error) {
	raw, err := libolmpickle.Decrypt(key, pickle)
	if err != nil {
		return nil, errcode.Context(err, "libolm session")
	}
	return decodeLibolmSession(raw)
}

func decodeLibolmSession(raw []byte) (*Session, error) {
	r := libolmpickle.NewReader(raw)
	version := r.U32()
	if r.Err() == nil && version != libolmSessionVersion && version != libolmSessionVersionLogging {
		return nil, errcode.New(errcode.BadPickle, "unknown libolm session pickle version %#x (expected 1)", version)
	}
	s := &Session{receivedMessage: r.Bool()}
	copy(s.aliceIdentityKey[:], r.Bytes(KeySize))
	copy(s.aliceBaseKey[:], r.Bytes(KeySize))
	copy(s.bobOneTimeKey[:], r.Bytes(KeySize))
	rt := &s.ratchet
	copy(rt.rootKey[:], r.Bytes(KeySize))

	switch n := r.U32(); {
	case n > 1:
		r.Fail("libolm session pickle has %d sender chains (at most 1)", n)
	case n == 1:
		pub := r.Bytes(KeySize)
		rt.sender.ratchetKey = curveKeyFromParts(r.Bytes(KeySize), pub)
		copy(rt.sender.chain.key[:], r.Bytes(KeySize))
		rt.sender.chain.index = r.U32()
		rt.hasSender = true
	}
	n := r.U32()
	if n > MaxReceiverChains {
		r.Fail("libolm session pickle has %d receiver chains (at most %d)", n, MaxReceiverChains)
	}
	for i := uint32(0); i < n && r.Err() == nil; i++ {
		var c receiverChain
		copy(c.ratchetKey[:], r.Bytes(KeySize))
		copy(c.chain.key[:], r.Bytes(KeySize))
		c.chain.index = r.U32()
		rt.receivers = append(rt.receivers, c)
	}
	n = r.U32()
	if n > MaxSkippedMessageKeys {
		r.Fail("libolm session pickle has %d skipped message keys (at most %d)", n, MaxSkippedMessageKeys)
	}
	for i := uint32(0); i < n && r.Err() == nil; i++ {
		var k skippedKey
		copy(k.ratchetKey[:], r.Bytes(KeySize))
		copy(k.messageKey[:], r.Bytes(KeySize))
		k.index = r.U32()
		rt.skipped = append(rt.skipped, k)
	}
	if version == libolmSessionVersionLogging {
		r.U32() // a chain index libolm's logging build kept; unused
	}
	if err := r.Finish(); err != nil {
		return nil, errcode.Context(err, "libolm session")
	}
	if !rt.hasSender && len(rt.receivers) == 0 {
		return nil, errcode.New(errcode.BadPickle, "libolm session has neither a sending nor a receiving chain; it cannot be used")
	}
	return s, nil
}

// ExportLibolm writes the session as a libolm version-1 session pickle,
// byte for byte what libolm writes for the same state.
//
// Known limitation on the reader's side: vodozemac (0.10.0, and its main
// branch at cfc4eee) loads the receiver chains in pickle order into a list it
// keeps oldest first, so after the import its first evictions hit the newest
// pickled chains. With five chains pickled, the peer's next chain pushes out
// the chain it was using, and late messages on that chain fail with "invalid
// MAC"; the same happens to pickles libolm wrote. No order suits both: libolm
// drops the last chain, and both answer the first when there is no sender
// chain, so oldest first would break libolm and vodozemac's reply. We keep
// libolm's order (TestLibolmFiveReceiverChains, interop-vodozemac.test.mjs).
func (s *Session) ExportLibolm(key []byte) (string, error) {
	return libolmpickle.Encrypt(key, s.encodeLibolm())
}

func (s *Session) encodeLibolm() []byte {
	var w libolmpickle.Writer
	w.U32(libolmSessionVersion)
	w.Bool(s.receivedMessage)
	w.Bytes(s.aliceIdentityKey[:])
	w.Bytes(s.aliceBaseKey[:])
	w.Bytes(s.bobOneTimeKey[:])
	rt := &s.ratchet
	w.Bytes(rt.rootKey[:])
	if rt.hasSender {
		w.U32(1)
		w.Bytes(rt.sender.ratchetKey.public[:])
		w.Bytes(rt.sender.ratchetKey.private[:])
		w.Bytes(rt.sender.chain.key[:])
		w.U32(rt.sender.chain.index)
	} else {
		w.U32(0)
	}
	w.U32(uint32(len(rt.receivers)))
	for _, c := range rt.receivers {
		w.Bytes(c.ratchetKey[:])
		w.Bytes(c.chain.key[:])
		w.U32(c.chain.index)
	}
	w.U32(uint32(len(rt.skipped)))
	for _, k := range rt.skipped {
		w.Bytes(k.ratchetKey[:])
		w.Bytes(k.messageKey[:])
		w.U32(k.index)
	}
	return w.Raw()
}
