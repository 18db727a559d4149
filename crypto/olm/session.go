package olm

import (
	"bytes"
	"crypto/sha256"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Session is an Olm session with one other device.
//
// Both sides record the three public keys the session was made from: the
// initiator's ("Alice's") identity key and base key, and the receiver's
// ("Bob's") one-time or fallback key. They name the session (ID) and let
// the initiator wrap messages as pre-key messages until she gets a reply.
type Session struct {
	aliceIdentityKey [KeySize]byte
	aliceBaseKey     [KeySize]byte
	bobOneTimeKey    [KeySize]byte
	// receivedMessage is set once a message from the peer has been
	// decrypted; from then on we send normal (type 1) messages.
	receivedMessage bool
	ratchet         ratchet
}

// clone returns a deep copy.
func (s *Session) clone() *Session {
	c := *s
	c.ratchet = s.ratchet.clone()
	return &c
}

// ID is the session id both sides compute: unpadded base64 of
// SHA-256(Alice's identity key || Alice's base key || Bob's one-time key).
func (s *Session) ID() string {
	h := sha256.New()
	h.Write(s.aliceIdentityKey[:])
	h.Write(s.aliceBaseKey[:])
	h.Write(s.bobOneTimeKey[:])
	return b64.Encode(h.Sum(nil))
}

// HasReceivedMessage reports whether a message from the peer has been
// decrypted in this session (and so whether Encrypt sends type 1).
func (s *Session) HasReceivedMessage() bool { return s.receivedMessage }

// Encrypt encrypts plaintext for the peer. Until the session has received a
// message the result is a pre-key message (type 0), else a normal one.
func (s *Session) Encrypt(plaintext []byte) (Message, error) {
	next := s.clone()
	msg, err := next.ratchet.encrypt(plaintext)
	if err != nil {
		return Message{}, err
	}
	m := Message{Type: MessageTypeNormal}
	if !next.receivedMessage {
		msg = encodePreKeyMessage(next.bobOneTimeKey[:], next.aliceBaseKey[:], next.aliceIdentityKey[:], msg)
		m.Type = MessageTypePreKey
	}
	m.Body = b64.EncodePublic(msg)
	*s = *next
	return m, nil
}

// Decrypt decrypts a message from the peer. A pre-key message is accepted
// only if it belongs to this session (see MatchesInbound). On any error the
// session is unchanged; a message that was already decrypted fails with
// UnknownMessageIndex.
func (s *Session) Decrypt(m Message) ([]byte, error) {
	raw, err := b64.DecodePublic(m.Body) // ciphertext: public
	if err != nil {
		return nil, errcode.Context(err, "Olm message body")
	}
	var inner []byte
	switch m.Type {
	case MessageTypePreKey:
		pk, err := parsePreKeyMessage(raw)
		if err != nil {
			return nil, err
		}
		if !s.matches(pk) {
			return nil, errcode.New(errcode.BadMessage, "pre-key message belongs to a different session")
		}
		inner = pk.message
	case MessageTypeNormal:
		inner = raw
	default:
		return nil, errcode.New(errcode.BadInput, "unknown Olm message type %d (expected 0 or 1)", m.Type)
	}
	msg, err := parseNormalMessage(inner)
	if err != nil {
		return nil, err
	}
	return s.decryptParsed(msg)
}

// decryptParsed decrypts on a copy of the state and commits it on success.
func (s *Session) decryptParsed(msg *normalMessage) ([]byte, error) {
	next := s.clone()
	pt, err := next.ratchet.decrypt(msg)
	if err != nil {
		return nil, err
	}
	next.receivedMessage = true
	*s = *next
	return pt, nil
}

// MatchesInbound reports whether a pre-key message was sent in this session
// (same base key and one-time key, and same identity key): if so, decrypt
// it with this session rather than creating a new inbound session.
func (s *Session) MatchesInbound(m Message) bool {
	pk, ok := preKeyOf(m)
	return ok && s.matches(pk)
}

// MatchesInboundFrom is MatchesInbound that also requires the message to
// come from the given Curve25519 identity key (base64).
func (s *Session) MatchesInboundFrom(theirIdentityKey string, m Message) bool {
	id, err := decodeKey(theirIdentityKey, "identity key")
	if err != nil {
		return false
	}
	pk, ok := preKeyOf(m)
	return ok && bytes.Equal(pk.identityKey, id[:]) && s.matches(pk)
}

func preKeyOf(m Message) (*preKeyMessage, bool) {
	if m.Type != MessageTypePreKey {
		return nil, false
	}
	raw, err := b64.DecodePublic(m.Body) // ciphertext: public
	if err != nil {
		return nil, false
	}
	pk, err := parsePreKeyMessage(raw)
	return pk, err == nil
}

func (s *Session) matches(pk *preKeyMessage) bool {
	return bytes.Equal(pk.identityKey, s.aliceIdentityKey[:]) &&
		bytes.Equal(pk.baseKey, s.aliceBaseKey[:]) &&
		bytes.Equal(pk.oneTimeKey, s.bobOneTimeKey[:])
}
