package megolm

import (
	"crypto/rand"
	"math"
	"sync"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// OutboundGroupSession is the sending side of a Megolm session: one per room
// (until rotated) on the device that encrypts. It holds the current ratchet and
// the Ed25519 key whose public half is the session id. Methods are safe for
// concurrent use.
type OutboundGroupSession struct {
	mu      sync.Mutex
	ratchet ratchet
	signer  *ed25519x.PrivateKey
	// public is the session id. It is signer's public key, except for a
	// libolm pickle whose stored public key does not match its private key
	// (which libolm accepts); such a session keeps its id but cannot sign.
	public    [ed25519x.PublicSize]byte
	createdAt time.Time // zero when unknown (imported from libolm)
	// mismatched: the libolm import case above, found once at import and
	// kept in the state (key form 3) so it need not be re-derived per call.
	mismatched bool
}

// randomSize is what libolm's olm_init_outbound_group_session consumes:
// 128 ratchet bytes, then a 32-byte Ed25519 seed.
const randomSize = ratchetSize + ed25519x.SeedSize

// NewOutboundGroupSession creates a session with a random ratchet and signing
// key at message index 0, created now.
func NewOutboundGroupSession() *OutboundGroupSession {
	random := make([]byte, randomSize)
	rand.Read(random) // never fails (Go ≥ 1.24 crashes the program instead)
	s, _ := newOutboundFromRandom(random, time.Now())
	clear(random)
	return s
}

// newOutboundFromRandom is NewOutboundGroupSession with the randomness and
// clock supplied, laid out as libolm takes it, so libolm's deterministic test
// vectors can be reproduced.
func newOutboundFromRandom(random []byte, now time.Time) (*OutboundGroupSession, error) {
	if len(random) != randomSize {
		return nil, errcode.New(errcode.BadInput, "outbound session needs %d random bytes, got %d", randomSize, len(random))
	}
	signer, err := ed25519x.FromSeed(random[ratchetSize:])
	if err != nil {
		return nil, err
	}
	s := &OutboundGroupSession{
		ratchet:   newRatchet(random[:ratchetSize], 0),
		signer:    signer,
		createdAt: time.UnixMilli(now.UnixMilli()),
	}
	copy(s.public[:], signer.Public())
	return s, nil
}

// SessionID is the unpadded base64 Ed25519 public key of the session.
func (s *OutboundGroupSession) SessionID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return b64.Encode(s.public[:])
}

// MessageIndex is the index the next encrypted message will carry; it is also
// the number of messages encrypted so far for a session created here.
func (s *OutboundGroupSession) MessageIndex() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ratchet.counter
}

// CreatedAt is when the session was created, or the zero time when unknown
// (a session imported from libolm, which does not record it).
func (s *OutboundGroupSession) CreatedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createdAt
}

// SetCreatedAt records the creation time, for sessions imported from a store
// that kept it outside the libolm pickle. It is stored at millisecond precision.
func (s *OutboundGroupSession) SetCreatedAt(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.IsZero() {
		s.createdAt = time.Time{}
		return
	}
	s.createdAt = time.UnixMilli(t.UnixMilli())
}

// canSign fails when the signing key does not belong to the session id, so
// nothing is ever sent that every receiver would reject. Caller holds mu.
func (s *OutboundGroupSession) canSign() error {
	if s.mismatched {
		return errcode.New(errcode.BadPickle, "outbound session %s: its Ed25519 private key does not match its public key (damaged pickle), so it cannot sign", b64.Encode(s.public[:]))
	}
	return nil
}

// SessionKey returns the signed session-sharing key (v2) at the current index,
// the session_key of an m.room_key event. Recipients can decrypt messages from
// this index on.
func (s *OutboundGroupSession) SessionKey() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canSign(); err != nil {
		return "", err
	}
	return encodeSessionKey(&s.ratchet, s.signer), nil
}

// Encrypt encrypts plaintext (normally the JSON {type, content, room_id}) at
// the current index, returns the base64 Megolm message for the ciphertext
// field of m.room.encrypted, and advances the ratchet so the key just used is
// gone.
func (s *OutboundGroupSession) Encrypt(plaintext []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canSign(); err != nil {
		return "", err
	}
	if s.ratchet.counter == math.MaxUint32 {
		// The next index would wrap to 0, below every receiver's first
		// known index. Rotation happens long before this.
		return "", errcode.New(errcode.BadInput, "outbound session %s has used all 2^32 message indices: create a new session", b64.Encode(s.public[:]))
	}
	aesKey, macKey, iv := s.ratchet.messageKeys()
	defer clear(aesKey[:cap(aesKey)]) // one 80-byte buffer holds all three
	ct, err := aes256.EncryptCBC(aesKey, iv, plaintext)
	if err != nil {
		return "", errcode.Wrap(errcode.Internal, err, "megolm encrypt")
	}
	msg := make([]byte, 0, 1+1+10+1+10+len(ct)+macSize+signatureSize)
	msg = appendMessageBody(msg, s.ratchet.counter, ct)
	msg = append(msg, messageMAC(macKey, msg)...)
	msg = append(msg, s.signer.Sign(msg)...)
	s.ratchet.advance()
	return b64.EncodePublic(msg), nil // ciphertext, MAC, signature: public
}

// InboundSession returns the receiving side of this session at its current
// index, for decrypting our own messages. Its signing key counts as verified:
// it comes from us.
func (s *OutboundGroupSession) InboundSession() *InboundGroupSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return newInbound(s.ratchet, s.public, true)
}

// messageMAC is the truncated HMAC-SHA-256 that authenticates version||payload.
func messageMAC(macKey, data []byte) []byte {
	return hmacsha256.Sum(macKey, data)[:macSize]
}
