package olm

import "github.com/mxcrypto/mxcrypto/errcode"

// preKeyMessage is a decoded type-0 message: what the initiator (Alice)
// sends until she has received a reply, so that the receiver (Bob) can set
// up the session. It carries the three public keys of the triple
// Diffie-Hellman and the first normal message. It has no MAC of its own: the
// embedded message's MAC, under keys derived from the 3DH, authenticates it.
type preKeyMessage struct {
	oneTimeKey  []byte // Bob's one-time or fallback key E_B
	baseKey     []byte // Alice's ephemeral base key E_A
	identityKey []byte // Alice's Curve25519 identity key I_A
	message     []byte // encoded normal message (with its version byte and MAC)
}

// encodePreKeyMessage writes the fields in libolm's order.
func encodePreKeyMessage(oneTimeKey, baseKey, identityKey, message []byte) []byte {
	b := make([]byte, 0, 1+3*(2+KeySize)+3+len(message))
	b = append(b, protocolVersion)
	b = appendBytesField(b, tagOneTimeKey, oneTimeKey)
	b = appendBytesField(b, tagBaseKey, baseKey)
	b = appendBytesField(b, tagIdentityKey, identityKey)
	b = appendBytesField(b, tagMessage, message)
	return b
}

// parsePreKeyMessage decodes a pre-key message for use: all three keys must
// be 32 bytes. vodozemac requires all four fields too; libolm would allow a
// missing identity key, but no implementation writes one without it.
func parsePreKeyMessage(b []byte) (*preKeyMessage, error) {
	m, err := decodePreKeyMessage(b)
	if err != nil {
		return nil, err
	}
	if len(m.oneTimeKey) != KeySize || len(m.baseKey) != KeySize || len(m.identityKey) != KeySize {
		return nil, errcode.New(errcode.BadMessage, "Olm pre-key message: keys must be %d bytes (one-time key %d, base key %d, identity key %d)",
			KeySize, len(m.oneTimeKey), len(m.baseKey), len(m.identityKey))
	}
	return m, nil
}

// decodePreKeyMessage decodes the wire format; fields in any order, the last
// of a repeated field wins, unknown fields are skipped, all four required.
func decodePreKeyMessage(b []byte) (*preKeyMessage, error) {
	const what = "Olm pre-key message"
	if err := checkVersion(b, what); err != nil {
		return nil, err
	}
	fields, err := parseFields(b[1:], what)
	if err != nil {
		return nil, err
	}
	m := &preKeyMessage{}
	for _, f := range fields {
		var dst *[]byte
		switch f.number {
		case tagOneTimeKey >> 3:
			dst = &m.oneTimeKey
		case tagBaseKey >> 3:
			dst = &m.baseKey
		case tagIdentityKey >> 3:
			dst = &m.identityKey
		case tagMessage >> 3:
			dst = &m.message
		default:
			continue
		}
		if f.isInt {
			return nil, errcode.New(errcode.BadMessage, "%s: field %d must be a byte string", what, f.number)
		}
		// A copy that is non-nil even when empty: nil means "absent" below,
		// and an empty key is caught by parsePreKeyMessage's length checks.
		*dst = append([]byte{}, f.bytes...)
	}
	if m.oneTimeKey == nil || m.baseKey == nil || m.identityKey == nil || m.message == nil {
		return nil, errcode.New(errcode.BadMessage, "%s lacks the one-time key, base key, identity key or message", what)
	}
	return m, nil
}
