package megolm

import (
	"crypto/subtle"
	"sync"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// InboundGroupSession is the receiving side of a Megolm session: it decrypts
// every message from its first known index on. Methods are safe for
// concurrent use.
//
// It keeps the earliest ratchet it was given (initial), which is never
// advanced, so any later index stays decryptable, and a cache of the highest
// ratchet reached by a successful decryption (latest), so reading a room in
// order costs one hash per message instead of a jump from the initial ratchet.
type InboundGroupSession struct {
	mu       sync.Mutex
	initial  ratchet
	latest   ratchet
	public   [ed25519x.PublicSize]byte
	verified bool
}

func newInbound(r ratchet, public [ed25519x.PublicSize]byte, verified bool) *InboundGroupSession {
	return &InboundGroupSession{initial: r, latest: r, public: public, verified: verified}
}

// NewInboundGroupSession creates a session from a session-sharing key (v2, the
// session_key of m.room_key). The key's signature is checked (BadSignature),
// so the session's signing key counts as verified.
func NewInboundGroupSession(sessionKey string) (*InboundGroupSession, error) {
	k, err := decodeSessionKey(sessionKey)
	if err != nil {
		return nil, err
	}
	return newInbound(k.ratchet, k.public, true), nil
}

// ImportInboundGroupSession creates a session from an exported key (v1, as in
// m.forwarded_room_key, key backups and key export files). The export is not
// signed, so the signing key is unverified until a message decrypts (as in
// libolm: a message that is both signed by that key and MACed under the
// ratchet ties the two together).
func ImportInboundGroupSession(exportedKey string) (*InboundGroupSession, error) {
	k, err := decodeExport(exportedKey)
	if err != nil {
		return nil, err
	}
	return newInbound(k.ratchet, k.public, false), nil
}

// SessionID is the unpadded base64 Ed25519 public key of the session.
func (s *InboundGroupSession) SessionID() string { return s.SigningKey() }

// SigningKey is the session's Ed25519 public key (unpadded base64), which
// every message must be signed with. It is the same string as SessionID.
func (s *InboundGroupSession) SigningKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return b64.Encode(s.public[:])
}

// FirstKnownIndex is the lowest message index this session can decrypt.
func (s *InboundGroupSession) FirstKnownIndex() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initial.counter
}

// IsVerified reports whether the signing key is known to belong with the
// ratchet: the session came from a signed session key, or a message has
// decrypted with it.
func (s *InboundGroupSession) IsVerified() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified
}

// clone copies the session state (not the lock).
func (s *InboundGroupSession) clone() *InboundGroupSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &InboundGroupSession{initial: s.initial, latest: s.latest, public: s.public, verified: s.verified}
}

// ratchetAt returns a copy of the ratchet advanced to index, starting from the
// latest cache when it is not past index. Caller holds mu.
func (s *InboundGroupSession) ratchetAt(index uint32) (ratchet, error) {
	if index < s.initial.counter {
		return ratchet{}, errcode.New(errcode.UnknownMessageIndex, "message index %d is below this session's first known index %d: the key for it was never received", index, s.initial.counter)
	}
	r := s.initial
	// latest ≥ initial always holds for state built here; the check keeps a
	// damaged pickle from bypassing the first-known-index limit.
	if s.latest.counter <= index && s.latest.counter >= s.initial.counter {
		r = s.latest
	}
	r.advanceTo(index)
	return r, nil
}

// Decrypt decrypts a base64 Megolm message (the ciphertext field of a Megolm
// m.room.encrypted event) and returns the plaintext and its message index.
//
// Order as in libolm: parse (BadMessage), verify the Ed25519 signature
// (BadSignature), reject an index below the first known one
// (UnknownMessageIndex), verify the MAC (BadMAC), decrypt (BadMessage for bad
// padding). A failure leaves the session unchanged. Decrypting the same
// message again succeeds: replay protection is the caller's job (ReplayGuard),
// as is checking that the plaintext's room_id is the room the event came from
// and the session was shared for.
func (s *InboundGroupSession) Decrypt(msg string) (plaintext []byte, index uint32, err error) {
	return s.decrypt(msg, true)
}

// DecryptSignatureCheckedElsewhere is Decrypt without the Ed25519 check, for
// a caller that verifies the signature itself at the same time (the JS
// loader, with WebCrypto) and discards the result and the new state unless
// that succeeded. Everything else (MAC, index, padding) is checked here.
func (s *InboundGroupSession) DecryptSignatureCheckedElsewhere(msg string) (plaintext []byte, index uint32, err error) {
	return s.decrypt(msg, false)
}

func (s *InboundGroupSession) decrypt(msg string, checkSignature bool) (plaintext []byte, index uint32, err error) {
	raw, err := b64.DecodePublic(msg) // ciphertext: public
	if err != nil {
		return nil, 0, errcode.Wrap(errcode.BadMessage, err, "megolm message is not base64")
	}
	m, err := parseMessage(raw)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if checkSignature && !ed25519x.Verify(s.public[:], m.signInput, m.signature) {
		return nil, 0, errcode.New(errcode.BadSignature, "megolm message is not signed by session %s: altered, or sent with a different session", b64.Encode(s.public[:]))
	}
	r, err := s.ratchetAt(m.index)
	if err != nil {
		return nil, 0, err
	}
	aesKey, macKey, iv := r.messageKeys()
	defer clear(aesKey[:cap(aesKey)])
	if subtle.ConstantTimeCompare(messageMAC(macKey, m.macInput), m.mac) != 1 {
		return nil, 0, errcode.New(errcode.BadMAC, "megolm message index %d: MAC mismatch: the ratchet does not match the sender's (wrong or damaged session key)", m.index)
	}
	pt, err := aes256.DecryptCBC(aesKey, iv, m.ciphertext)
	if err != nil {
		return nil, 0, errcode.Context(err, "megolm message")
	}
	if r.counter >= s.latest.counter {
		s.latest = r
	}
	s.verified = true
	return pt, m.index, nil
}

// Export returns the session at message index (≥ FirstKnownIndex) in the
// export format (v1), for forwarding, backups and key export files. The
// receiver can decrypt from index on, never earlier.
func (s *InboundGroupSession) Export(index uint32) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.ratchetAt(index)
	if err != nil {
		return "", err
	}
	return encodeExport(&r, s.public[:]), nil
}
