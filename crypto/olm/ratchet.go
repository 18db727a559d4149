package olm

import (
	"bytes"
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Limits on what a session remembers, as in libolm 3.2 (docs/olm.md §4.4), so
// that libolm session pickles import and export without loss. They bound
// both memory and the work an attacker can make us do per message.
const (
	// MaxReceiverChains is how many of the peer's ratchet keys (chains) are
	// remembered; a message on an older chain cannot be decrypted.
	MaxReceiverChains = 5
	// MaxSkippedMessageKeys is how many keys of not-yet-arrived messages are
	// kept per session, across all chains; the oldest are dropped first.
	MaxSkippedMessageKeys = 40
	// MaxMessageGap is how far ahead of the next expected message a message
	// may be in its chain.
	MaxMessageGap = 2000
)

var (
	kdfInfoRoot    = "OLM_ROOT"
	kdfInfoRatchet = "OLM_RATCHET"
)

// ratchet is the double-ratchet state of a session (docs/olm.md §4).
type ratchet struct {
	rootKey [KeySize]byte
	// sender is valid when hasSender. Alice starts with one; Bob gets one when
	// he first replies; either side drops it on receiving a message on a new
	// chain, so its next message starts a fresh one (a DH ratchet step).
	sender    senderChain
	hasSender bool
	receivers []receiverChain // newest first, at most MaxReceiverChains
	skipped   []skippedKey    // newest first, at most MaxSkippedMessageKeys
}

// clone returns a deep copy; decryption works on a copy and commits it only
// on success.
func (r *ratchet) clone() ratchet {
	c := *r
	c.receivers = append([]receiverChain(nil), r.receivers...)
	c.skipped = append([]skippedKey(nil), r.skipped...)
	return c
}

// splitRootAndChain turns 64 HKDF bytes into a root key and a chain key at
// index 0.
func splitRootAndChain(b []byte) ([KeySize]byte, chainKey) {
	var root [KeySize]byte
	var ck chainKey
	copy(root[:], b[:KeySize])
	copy(ck.key[:], b[KeySize:2*KeySize])
	return root, ck
}

// initAsAlice sets up the initiator's ratchet from the 3DH secret: the root
// key and a sending chain on her first ratchet key.
func (r *ratchet) initAsAlice(sharedSecret []byte, ratchetKey curveKey) {
	var ck chainKey
	r.rootKey, ck = splitRootAndChain(hkdfSHA256(zeroSalt[:], sharedSecret, kdfInfoRoot, 64))
	r.sender = senderChain{ratchetKey: ratchetKey, chain: ck}
	r.hasSender = true
}

// initAsBob sets up the receiver's ratchet from the 3DH secret: the root key
// and a receiving chain on Alice's first ratchet key (from the pre-key
// message).
func (r *ratchet) initAsBob(sharedSecret []byte, theirRatchetKey [KeySize]byte) {
	var ck chainKey
	r.rootKey, ck = splitRootAndChain(hkdfSHA256(zeroSalt[:], sharedSecret, kdfInfoRoot, 64))
	r.receivers = []receiverChain{{ratchetKey: theirRatchetKey, chain: ck}}
}

// advanceRoot is the DH ratchet step: HKDF(salt = root key, IKM = DH(our
// ratchet key, their ratchet key), "OLM_RATCHET") gives the next root key and
// the first chain key of a new chain.
func (r *ratchet) advanceRoot(ours *curveKey, theirs []byte) ([KeySize]byte, chainKey, error) {
	shared, err := ours.dh(theirs)
	if err != nil {
		return [KeySize]byte{}, chainKey{}, errcode.Wrap(errcode.BadMessage, err, "the peer's ratchet key is not usable (low-order point)")
	}
	root, ck := splitRootAndChain(hkdfSHA256(r.rootKey[:], shared, kdfInfoRatchet, 64))
	return root, ck, nil
}

// encrypt encrypts one message and returns the encoded normal message. It
// changes r; the session calls it on a copy.
func (r *ratchet) encrypt(plaintext []byte) ([]byte, error) {
	if !r.hasSender {
		if len(r.receivers) == 0 {
			return nil, errcode.New(errcode.BadInput, "session has no ratchet chains: it cannot encrypt")
		}
		// Start a new sending chain answering the newest chain we received on.
		ours := newCurveKey()
		root, ck, err := r.advanceRoot(&ours, r.receivers[0].ratchetKey[:])
		if err != nil {
			return nil, err
		}
		r.rootKey = root
		r.sender = senderChain{ratchetKey: ours, chain: ck}
		r.hasSender = true
	}
	c := &r.sender.chain
	index := c.index
	mk := c.messageKey()
	if !c.advance() {
		return nil, errcode.New(errcode.BadInput, "the sending chain is exhausted (2^32 messages); start a new session")
	}
	return encryptNormalMessage(mk[:], r.sender.ratchetKey.public[:], index, plaintext)
}

// decrypt decrypts a parsed normal message. On error r may be partly
// changed; the session calls it on a copy and discards that on error.
func (r *ratchet) decrypt(m *normalMessage) ([]byte, error) {
	var theirs [KeySize]byte
	copy(theirs[:], m.ratchetKey)

	// A key kept for exactly this message (it arrived late). Only for a chain
	// we still hold, as libolm and vodozemac do: once a receiver chain is
	// dropped (MaxReceiverChains), its late messages are refused too.
	if r.findReceiver(theirs) >= 0 {
		for i := range r.skipped {
			sk := &r.skipped[i]
			if sk.index == m.chainIndex && sk.ratchetKey == theirs {
				pt, err := decryptNormalMessage(sk.messageKey[:], m)
				if err != nil {
					return nil, err
				}
				r.skipped = append(r.skipped[:i], r.skipped[i+1:]...)
				return pt, nil
			}
		}
	}

	if ci := r.findReceiver(theirs); ci >= 0 {
		rc := &r.receivers[ci]
		if m.chainIndex < rc.chain.index {
			return nil, errcode.New(errcode.UnknownMessageIndex,
				"message %d of this chain was already decrypted, or its key was dropped (at most %d skipped keys are kept)", m.chainIndex, MaxSkippedMessageKeys)
		}
		if m.chainIndex-rc.chain.index > MaxMessageGap {
			return nil, errcode.New(errcode.UnknownMessageIndex,
				"message %d is %d messages ahead of the next expected one (%d); at most %d may be skipped", m.chainIndex, m.chainIndex-rc.chain.index, rc.chain.index, MaxMessageGap)
		}
		ck := rc.chain
		pt, err := r.decryptOnChain(&ck, theirs, m)
		if err != nil {
			return nil, err
		}
		rc.chain = ck
		return pt, nil
	}

	// A ratchet key we have not seen: the peer has received one of our
	// messages and started a new chain. As in libolm, they cannot legitimately
	// do so before we have sent on a chain of our own.
	if !r.hasSender {
		return nil, errcode.New(errcode.BadMessage, "message is on an unknown chain, but we have not sent anything the peer could be answering; it is from an old, dropped chain or forged")
	}
	if m.chainIndex > MaxMessageGap {
		return nil, errcode.New(errcode.UnknownMessageIndex,
			"message %d on a new chain is more than %d messages ahead", m.chainIndex, MaxMessageGap)
	}
	root, ck, err := r.advanceRoot(&r.sender.ratchetKey, theirs[:])
	if err != nil {
		return nil, err
	}
	pt, err := r.decryptOnChain(&ck, theirs, m)
	if err != nil {
		return nil, err
	}
	r.rootKey = root
	r.receivers = append([]receiverChain{{ratchetKey: theirs, chain: ck}}, r.receivers...)
	if len(r.receivers) > MaxReceiverChains {
		r.receivers = r.receivers[:MaxReceiverChains]
	}
	r.hasSender = false
	r.sender = senderChain{}
	return pt, nil
}

// decryptOnChain advances ck to the message's index, keeping the keys of the
// messages jumped over, decrypts, and leaves ck just past the message.
func (r *ratchet) decryptOnChain(ck *chainKey, theirs [KeySize]byte, m *normalMessage) ([]byte, error) {
	if m.chainIndex == math.MaxUint32 {
		return nil, errcode.New(errcode.UnknownMessageIndex, "chain index %d is out of range", m.chainIndex)
	}
	// Only the newest MaxSkippedMessageKeys keys survive anyway (libolm
	// stores them all and drops the oldest), so only those are derived.
	keepFrom := ck.index
	if m.chainIndex-ck.index > MaxSkippedMessageKeys {
		keepFrom = m.chainIndex - MaxSkippedMessageKeys
	}
	var skipped []skippedKey
	for ck.index < m.chainIndex {
		if ck.index >= keepFrom {
			skipped = append(skipped, skippedKey{ratchetKey: theirs, index: ck.index, messageKey: ck.messageKey()})
		}
		ck.advance()
	}
	mk := ck.messageKey()
	pt, err := decryptNormalMessage(mk[:], m)
	if err != nil {
		return nil, err
	}
	ck.advance()
	// Newest first: the highest skipped index goes to the front.
	if len(skipped) > 0 {
		all := make([]skippedKey, 0, len(skipped)+len(r.skipped))
		for i := len(skipped) - 1; i >= 0; i-- {
			all = append(all, skipped[i])
		}
		all = append(all, r.skipped...)
		if len(all) > MaxSkippedMessageKeys {
			all = all[:MaxSkippedMessageKeys]
		}
		r.skipped = all
	}
	return pt, nil
}

// findReceiver returns the index of the newest receiver chain with this
// ratchet key, or -1.
func (r *ratchet) findReceiver(key [KeySize]byte) int {
	for i := range r.receivers {
		if bytes.Equal(r.receivers[i].ratchetKey[:], key[:]) {
			return i
		}
	}
	return -1
}
