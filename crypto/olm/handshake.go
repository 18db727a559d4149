package olm

import (
	"bytes"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Session setup by triple Diffie-Hellman (docs/olm.md §3). With I = identity
// keys, E_A = Alice's one-use base key and E_B = Bob's one-time or fallback
// key:
//
//	secret = DH(I_A, E_B) || DH(E_A, I_B) || DH(E_A, E_B)
//	root key || chain key = HKDF(zero salt, secret, "OLM_ROOT", 64)
//
// The first two terms authenticate each side by its identity key; the
// third, with the one-use keys on both sides, gives forward secrecy.

// NewOutboundSession starts a session to another device from its Curve25519
// identity key and one of its one-time or fallback keys (base64, from
// /keys/query and /keys/claim; check the claimed key's signature first).
func (a *Account) NewOutboundSession(theirIdentityKey, theirOneTimeKey string) (*Session, error) {
	theirID, err := decodeKey(theirIdentityKey, "identity key")
	if err != nil {
		return nil, err
	}
	theirOTK, err := decodeKey(theirOneTimeKey, "one-time key")
	if err != nil {
		return nil, err
	}
	base := newCurveKey()
	ratchetKey := newCurveKey()
	secret, err := tripleDH(
		dhTerm{&a.identityKey, theirOTK[:]},
		dhTerm{&base, theirID[:]},
		dhTerm{&base, theirOTK[:]},
	)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "cannot start a session: the identity or one-time key is a low-order point")
	}
	s := &Session{
		aliceIdentityKey: a.identityKey.public,
		aliceBaseKey:     base.public,
		bobOneTimeKey:    theirOTK,
	}
	s.ratchet.initAsAlice(secret, ratchetKey)
	return s, nil
}

// NewInboundSession creates the session a pre-key message starts and
// decrypts that message. theirIdentityKey is the sender_key of the
// m.room.encrypted event; the identity key inside the message must equal it.
//
// The one-time or fallback key named by the message is looked up among the
// one-time keys and every retained fallback key (UnknownOneTimeKey if none
// matches). Only when the message has decrypted is the account changed: a
// one-time key is removed, a fallback key is marked used (so the next
// RotateFallbackKeyIfNeeded replaces it). On error the account is unchanged
// and no session is returned.
//
// First check existing sessions with MatchesInbound: a fallback key is not
// removed on use, so a replayed pre-key message would otherwise create a
// second session.
func (a *Account) NewInboundSession(theirIdentityKey string, m Message) (*Session, []byte, error) {
	theirID, err := decodeKey(theirIdentityKey, "identity key")
	if err != nil {
		return nil, nil, err
	}
	if m.Type != MessageTypePreKey {
		return nil, nil, errcode.New(errcode.BadInput, "only a pre-key message (type 0) can start a session, got type %d", m.Type)
	}
	raw, err := b64.DecodePublic(m.Body) // ciphertext: public
	if err != nil {
		return nil, nil, errcode.Context(err, "Olm message body")
	}
	pk, err := parsePreKeyMessage(raw)
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(pk.identityKey, theirID[:]) {
		return nil, nil, errcode.New(errcode.BadMessage, "the pre-key message was made with identity key %s, not the sender key %s", b64.Encode(pk.identityKey), theirIdentityKey)
	}
	inner, err := parseNormalMessage(pk.message)
	if err != nil {
		return nil, nil, err
	}

	otkIndex := a.oneTimeKeys.find(pk.oneTimeKey)
	var ours *curveKey
	var fb *fallbackKey
	if otkIndex >= 0 {
		ours = &a.oneTimeKeys.keys[otkIndex].key
	} else if fb = a.fallbackKeys.find(pk.oneTimeKey); fb != nil {
		ours = &fb.key
	} else {
		return nil, nil, errcode.New(errcode.UnknownOneTimeKey, "the pre-key message uses one-time key %s, which this account does not hold (already used, dropped or purged)", b64.Encode(pk.oneTimeKey))
	}

	secret, err := tripleDH(
		dhTerm{ours, pk.identityKey},
		dhTerm{&a.identityKey, pk.baseKey},
		dhTerm{ours, pk.baseKey},
	)
	if err != nil {
		return nil, nil, errcode.Wrap(errcode.BadMessage, err, "the pre-key message's identity or base key is a low-order point")
	}
	s := &Session{receivedMessage: false}
	copy(s.aliceIdentityKey[:], pk.identityKey)
	copy(s.aliceBaseKey[:], pk.baseKey)
	copy(s.bobOneTimeKey[:], pk.oneTimeKey)
	var theirRatchet [KeySize]byte
	copy(theirRatchet[:], inner.ratchetKey)
	s.ratchet.initAsBob(secret, theirRatchet)

	pt, err := s.decryptParsed(inner)
	if err != nil {
		return nil, nil, err
	}
	if otkIndex >= 0 {
		a.oneTimeKeys.remove(otkIndex)
	} else if fb.used.IsZero() {
		fb.used = a.now()
	}
	return s, pt, nil
}

type dhTerm struct {
	ours   *curveKey
	theirs []byte
}

// tripleDH concatenates three X25519 results; any low-order peer key fails.
func tripleDH(terms ...dhTerm) ([]byte, error) {
	secret := make([]byte, 0, len(terms)*KeySize)
	for _, t := range terms {
		s, err := t.ours.dh(t.theirs)
		if err != nil {
			return nil, err
		}
		secret = append(secret, s...)
	}
	return secret, nil
}
