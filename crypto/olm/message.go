package olm

import (
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// MessageType is the "type" of an Olm ciphertext in m.room.encrypted.
type MessageType int

const (
	// MessageTypePreKey (0) is sent by the initiator until it has received a
	// reply; it lets the receiver create the session.
	MessageTypePreKey MessageType = 0
	// MessageTypeNormal (1) is every other message.
	MessageTypeNormal MessageType = 1
)

// Message is an Olm ciphertext as it appears in an m.room.encrypted event's
// content.ciphertext map: {"type": 0|1, "body": "<unpadded base64>"}.
type Message struct {
	Type MessageType `json:"type"`
	Body string      `json:"body"`
}

// Olm's messages are a version byte followed by a protobuf-style payload
// (docs/olm.md §1.6, §6): each field is a varint tag (field number << 3 | wire
// type) and a value that is a varint (wire type 0) or a length-prefixed byte
// string (wire type 2). Only version 3 is used on Matrix; vodozemac's
// experimental version 4 (32-byte MAC) is rejected.

const (
	protocolVersion = 3
	macSize         = 8 // Olm truncates HMAC-SHA-256 to 8 bytes

	wireVarint = 0
	wireBytes  = 2

	// normal message fields
	tagRatchetKey = 1<<3 | wireBytes  // 0x0A
	tagChainIndex = 2<<3 | wireVarint // 0x10
	tagCiphertext = 4<<3 | wireBytes  // 0x22

	// pre-key message fields
	tagOneTimeKey  = 1<<3 | wireBytes // 0x0A
	tagBaseKey     = 2<<3 | wireBytes // 0x12
	tagIdentityKey = 3<<3 | wireBytes // 0x1A
	tagMessage     = 4<<3 | wireBytes // 0x22
)

// appendVarint appends v as an unsigned little-endian base-128 varint.
func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readVarint decodes a varint at the start of b and returns it with the
// number of bytes used. At most 10 bytes (64 bits) are accepted.
func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0, errcode.New(errcode.BadMessage, "varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errcode.New(errcode.BadMessage, "varint is truncated")
}

// appendBytesField appends a wire-type-2 field.
func appendBytesField(b []byte, tag byte, v []byte) []byte {
	b = append(b, tag)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// field is one decoded payload field.
type field struct {
	number int
	varint uint64 // wire type 0
	bytes  []byte // wire type 2 (aliases the input)
	isInt  bool
}

// parseFields splits a payload into fields. Unknown fields are returned too;
// the caller ignores them (protobuf rules: a newer writer may add fields).
// Wire types other than 0 and 2 are not used by Olm and end parsing with an
// error, as do truncated values and field number 0.
func parseFields(p []byte, what string) ([]field, error) {
	var out []field
	for len(p) > 0 {
		tag, n, err := readVarint(p)
		if err != nil {
			return nil, errcode.Context(err, what+": field tag")
		}
		p = p[n:]
		num := tag >> 3
		if num == 0 || num > math.MaxInt32 {
			return nil, errcode.New(errcode.BadMessage, "%s: invalid field number %d", what, num)
		}
		f := field{number: int(num)}
		switch tag & 7 {
		case wireVarint:
			v, n, err := readVarint(p)
			if err != nil {
				return nil, errcode.Context(err, what+": field value")
			}
			p = p[n:]
			f.varint, f.isInt = v, true
		case wireBytes:
			l, n, err := readVarint(p)
			if err != nil {
				return nil, errcode.Context(err, what+": field length")
			}
			p = p[n:]
			if l > uint64(len(p)) {
				return nil, errcode.New(errcode.BadMessage, "%s: field %d claims %d bytes but only %d remain", what, num, l, len(p))
			}
			f.bytes = p[:l]
			p = p[l:]
		default:
			return nil, errcode.New(errcode.BadMessage, "%s: field %d has unsupported wire type %d", what, num, tag&7)
		}
		out = append(out, f)
	}
	return out, nil
}

// checkVersion checks the version byte of a message.
func checkVersion(b []byte, what string) error {
	if len(b) == 0 {
		return errcode.New(errcode.BadMessage, "%s is empty", what)
	}
	if b[0] != protocolVersion {
		return errcode.New(errcode.BadMessage, "%s has version %d; only version %d is supported", what, b[0], protocolVersion)
	}
	return nil
}

// normalMessage is a decoded type-1 message, also the form embedded in a
// pre-key message: the sender's current ratchet key, the index of the
// message in that chain, the AES-CBC ciphertext and the truncated MAC over
// all bytes before it.
type normalMessage struct {
	ratchetKey []byte
	chainIndex uint32
	ciphertext []byte
	mac        []byte
	// authenticated is the exact bytes the MAC covers (version byte and
	// payload as received, not a re-encoding).
	authenticated []byte
}

// encodeNormalMessage writes a message without its MAC; the caller appends
// the MAC over the returned bytes.
func encodeNormalMessage(ratchetKey []byte, chainIndex uint32, ciphertext []byte) []byte {
	b := make([]byte, 0, 1+2+KeySize+6+3+len(ciphertext)+macSize)
	b = append(b, protocolVersion)
	b = appendBytesField(b, tagRatchetKey, ratchetKey)
	b = append(b, tagChainIndex)
	b = appendVarint(b, uint64(chainIndex))
	b = appendBytesField(b, tagCiphertext, ciphertext)
	return b
}

// parseNormalMessage decodes a normal message for decryption: as
// decodeNormalMessage, and the ratchet key must be a 32-byte key.
func parseNormalMessage(b []byte) (*normalMessage, error) {
	m, err := decodeNormalMessage(b)
	if err != nil {
		return nil, err
	}
	if len(m.ratchetKey) != KeySize {
		return nil, errcode.New(errcode.BadMessage, "Olm message: ratchet key must be %d bytes, got %d", KeySize, len(m.ratchetKey))
	}
	return m, nil
}

// decodeNormalMessage decodes the wire format. Fields may come in any order
// (libolm accepts that); a repeated field keeps its last value (protobuf
// rule); all three fields must be present.
func decodeNormalMessage(b []byte) (*normalMessage, error) {
	const what = "Olm message"
	if err := checkVersion(b, what); err != nil {
		return nil, err
	}
	if len(b) < 1+macSize+1 {
		return nil, errcode.New(errcode.BadMessage, "%s is too short (%d bytes)", what, len(b))
	}
	body := b[:len(b)-macSize]
	fields, err := parseFields(body[1:], what)
	if err != nil {
		return nil, err
	}
	m := &normalMessage{mac: b[len(b)-macSize:], authenticated: body}
	var haveKey, haveIndex, haveCT bool
	for _, f := range fields {
		switch f.number {
		case tagRatchetKey >> 3:
			if f.isInt {
				return nil, errcode.New(errcode.BadMessage, "%s: ratchet key must be a byte string", what)
			}
			m.ratchetKey = f.bytes
			haveKey = true
		case tagChainIndex >> 3:
			if !f.isInt {
				return nil, errcode.New(errcode.BadMessage, "%s: chain index must be a varint", what)
			}
			if f.varint > math.MaxUint32 {
				return nil, errcode.New(errcode.BadMessage, "%s: chain index %d is out of range", what, f.varint)
			}
			m.chainIndex = uint32(f.varint)
			haveIndex = true
		case tagCiphertext >> 3:
			if f.isInt {
				return nil, errcode.New(errcode.BadMessage, "%s: ciphertext must be a byte string", what)
			}
			m.ciphertext = f.bytes
			haveCT = true
		}
	}
	if !haveKey || !haveIndex || !haveCT {
		return nil, errcode.New(errcode.BadMessage, "%s lacks a ratchet key, chain index or ciphertext", what)
	}
	return m, nil
}
