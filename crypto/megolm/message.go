package megolm

import (
	"math"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Megolm message layout (docs/megolm.md §4):
//
//	0x03 || payload || MAC(8) || Ed25519 signature(64)
//	payload = 0x08 varint(message index) || 0x12 varint(len) ciphertext
//
// The MAC covers version||payload; the signature covers version||payload||MAC.
const (
	messageVersion = 3
	macSize        = 8
	signatureSize  = 64
	indexTag       = 0x08 // field 1, varint
	ciphertextTag  = 0x12 // field 2, length-delimited

	// minMessageSize: a version byte, at least one payload byte, MAC and
	// signature. vodozemac refuses anything shorter; so do we.
	minMessageSize = 1 + 1 + macSize + signatureSize
)

// message is a parsed Megolm message. Slices alias the decoded input.
type message struct {
	index      uint32
	ciphertext []byte
	mac        []byte
	signature  []byte
	macInput   []byte // version || payload
	signInput  []byte // version || payload || MAC
}

// appendMessageBody appends version || payload for (index, ciphertext).
func appendMessageBody(dst []byte, index uint32, ciphertext []byte) []byte {
	dst = append(dst, messageVersion, indexTag)
	dst = appendVarint(dst, uint64(index))
	dst = append(dst, ciphertextTag)
	dst = appendVarint(dst, uint64(len(ciphertext)))
	return append(dst, ciphertext...)
}

// parseMessage splits a raw (already base64-decoded) Megolm message. It checks
// only the structure; MAC and signature are checked by the caller, which has
// the keys. Every failure is BadMessage.
func parseMessage(raw []byte) (*message, error) {
	if len(raw) < minMessageSize {
		return nil, errcode.New(errcode.BadMessage, "megolm message is %d bytes, shorter than the minimum %d: truncated or not a Megolm message", len(raw), minMessageSize)
	}
	if raw[0] != messageVersion {
		return nil, errcode.New(errcode.BadMessage, "megolm message version %d is not supported (only version %d is)", raw[0], messageVersion)
	}
	sigStart := len(raw) - signatureSize
	macStart := sigStart - macSize
	m := &message{
		mac:       raw[macStart:sigStart],
		signature: raw[sigStart:],
		macInput:  raw[:macStart],
		signInput: raw[:sigStart],
	}
	var haveIndex, haveCiphertext bool
	p := raw[1:macStart]
	for len(p) > 0 {
		tag, n := readVarint(p)
		if n <= 0 {
			return nil, errcode.New(errcode.BadMessage, "megolm message: malformed field tag")
		}
		p = p[n:]
		switch tag & 7 {
		case 0:
			v, n := readVarint(p)
			if n <= 0 {
				return nil, errcode.New(errcode.BadMessage, "megolm message: truncated or overlong integer in field %d", tag>>3)
			}
			p = p[n:]
			if tag == indexTag {
				if v > math.MaxUint32 {
					return nil, errcode.New(errcode.BadMessage, "megolm message: message index %d does not fit in 32 bits", v)
				}
				// As in protobuf, a repeated field's last value wins.
				m.index, haveIndex = uint32(v), true
			}
		case 2:
			l, n := readVarint(p)
			if n <= 0 || l > uint64(len(p)-n) {
				return nil, errcode.New(errcode.BadMessage, "megolm message: field %d is truncated", tag>>3)
			}
			data := p[n : n+int(l)]
			p = p[n+int(l):]
			if tag == ciphertextTag {
				m.ciphertext, haveCiphertext = data, true
			}
		default:
			// Skipping needs the length, which only types 0 and 2 give.
			return nil, errcode.New(errcode.BadMessage, "megolm message: field %d has unsupported wire type %d", tag>>3, tag&7)
		}
	}
	if !haveIndex {
		return nil, errcode.New(errcode.BadMessage, "megolm message has no message index")
	}
	if !haveCiphertext {
		return nil, errcode.New(errcode.BadMessage, "megolm message has no ciphertext")
	}
	return m, nil
}

// appendVarint appends v as an unsigned little-endian base-128 varint.
func appendVarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// readVarint decodes a varint at the start of b. n is the number of bytes
// read, or 0 when b ends inside the varint or it does not fit in 64 bits.
func readVarint(b []byte) (v uint64, n int) {
	var shift uint
	for i, c := range b {
		if i == 10 || (i == 9 && c > 1) {
			return 0, 0
		}
		v |= uint64(c&0x7F) << shift
		if c < 0x80 {
			return v, i + 1
		}
		shift += 7
	}
	return 0, 0
}

// MessageIndex returns the message index of a base64 Megolm message without
// authenticating or decrypting it (BadMessage if it does not parse): the
// index is not to be trusted before Decrypt succeeds, but lets a caller
// fetch what it will need for that index together with the session.
func MessageIndex(msg string) (uint32, error) {
	raw, err := b64.DecodePublic(msg)
	if err != nil {
		return 0, errcode.Wrap(errcode.BadMessage, err, "megolm message is not base64")
	}
	m, err := parseMessage(raw)
	if err != nil {
		return 0, err
	}
	return m.index, nil
}
