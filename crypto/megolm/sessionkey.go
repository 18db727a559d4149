package megolm

import (
	"encoding/binary"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Two ways to hand a Megolm ratchet to someone (docs/megolm.md §5):
//
//	session-sharing (v2): 0x02 || u32 index || ratchet(128) || Ed25519 pub(32) || signature(64)
//	session-export  (v1): 0x01 || u32 index || ratchet(128) || Ed25519 pub(32)
//
// The creator signs the sharing form, proving the ratchet and the signing key
// were put together by the holder of that key; an export made from a
// ratcheted-forward copy cannot carry such a signature, so it has none.
const (
	sessionKeyVersion = 2
	exportVersion     = 1
	keyHeaderSize     = 1 + 4 + ratchetSize + ed25519x.PublicSize // 165
	sessionKeySize    = keyHeaderSize + signatureSize             // 229
	exportSize        = keyHeaderSize                             // 165
)

// keyData is what both formats carry.
type keyData struct {
	ratchet ratchet
	public  [ed25519x.PublicSize]byte
}

func appendKeyHeader(dst []byte, version byte, r *ratchet, public []byte) []byte {
	dst = append(dst, version)
	dst = binary.BigEndian.AppendUint32(dst, r.counter)
	dst = r.bytes(dst)
	return append(dst, public...)
}

// encodeSessionKey builds the signed v2 sharing key for ratchet r.
func encodeSessionKey(r *ratchet, signer *ed25519x.PrivateKey) string {
	buf := appendKeyHeader(make([]byte, 0, sessionKeySize), sessionKeyVersion, r, signer.Public())
	buf = append(buf, signer.Sign(buf)...)
	s := b64.Encode(buf)
	clear(buf)
	return s
}

// encodeExport builds the unsigned v1 export key for ratchet r.
func encodeExport(r *ratchet, public []byte) string {
	buf := appendKeyHeader(make([]byte, 0, exportSize), exportVersion, r, public)
	s := b64.Encode(buf)
	clear(buf)
	return s
}

// decodeSessionKey parses a v2 sharing key and verifies its signature.
func decodeSessionKey(s string) (*keyData, error) {
	raw, err := decodeKey(s, "session key", sessionKeyVersion, sessionKeySize)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	if !ed25519x.Verify(raw[keyHeaderSize-ed25519x.PublicSize:keyHeaderSize], raw[:keyHeaderSize], raw[keyHeaderSize:]) {
		return nil, errcode.New(errcode.BadSignature, "session key: the signature does not verify with the key's own Ed25519 key: altered or not a valid session key")
	}
	return splitKey(raw), nil
}

// decodeExport parses a v1 export key. There is no signature to check, so the
// Ed25519 key is at least checked to be a usable public key: a forwarded key
// with garbage there could never decrypt anything.
func decodeExport(s string) (*keyData, error) {
	raw, err := decodeKey(s, "exported session key", exportVersion, exportSize)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	k := splitKey(raw)
	if !usablePublicKey(k.public[:]) {
		return nil, errcode.New(errcode.BadInput, "exported session key: the Ed25519 key is not a valid public key")
	}
	return k, nil
}

func decodeKey(s, what string, version byte, size int) ([]byte, error) {
	raw, err := b64.Decode(s)
	if err != nil {
		return nil, errcode.Context(err, what)
	}
	if len(raw) == 0 {
		return nil, errcode.New(errcode.BadInput, "%s is empty", what)
	}
	if v := raw[0]; v != version {
		hint := ""
		switch v {
		case sessionKeyVersion:
			hint = " (version 2 is the signed session-sharing format of m.room_key)"
		case exportVersion:
			hint = " (version 1 is the unsigned export format of forwarded keys, backups and key exports)"
		}
		clear(raw)
		return nil, errcode.New(errcode.BadInput, "%s has version %d, expected %d%s", what, v, version, hint)
	}
	if len(raw) != size {
		clear(raw)
		return nil, errcode.New(errcode.BadInput, "%s is %d bytes, expected %d: truncated or damaged", what, len(raw), size)
	}
	return raw, nil
}

func splitKey(raw []byte) *keyData {
	k := &keyData{ratchet: newRatchet(raw[5:5+ratchetSize], binary.BigEndian.Uint32(raw[1:5]))}
	copy(k.public[:], raw[5+ratchetSize:keyHeaderSize])
	return k
}

// usablePublicKey reports whether b is a canonical encoding of a curve point
// that is not of small order, the keys ed25519x.Verify can ever accept.
// Canonical is checked on the bytes rather than by re-encoding the point:
// that costs a field inversion, and a backup restore checks 100,000 keys.
func usablePublicKey(b []byte) bool {
	if len(b) != 32 || !canonicalY(b) {
		return false
	}
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return false
	}
	// SetBytes leaves Z = 1, so X is x. The only other non-canonical
	// encodings are x = 0 with the sign bit set.
	x, _, _, _ := p.ExtendedCoordinates()
	if b[31]&0x80 != 0 && x.Equal(new(field.Element)) == 1 {
		return false
	}
	return new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1
}

// canonicalY reports whether the low 255 bits of b (little-endian y) are
// below p = 2^255 - 19.
func canonicalY(b []byte) bool {
	if b[31]&0x7f != 0x7f || b[0] < 0xed {
		return true
	}
	for _, c := range b[1:31] {
		if c != 0xff {
			return true
		}
	}
	return false
}
