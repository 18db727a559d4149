package olm

import (
	"crypto/rand"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/crypto/internal/x25519"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// KeySize is the size of a Curve25519 key (public or private) and of every
// root, chain and message key in Olm.
const KeySize = 32

// curveKey is a Curve25519 key pair. The private half is kept as the raw 32
// random bytes, unclamped, exactly as libolm stores it; X25519 clamps
// internally, so the stored form does not matter for the result.
type curveKey struct {
	private [KeySize]byte
	public  [KeySize]byte
}

// newCurveKey returns a fresh random key pair.
func newCurveKey() curveKey {
	var priv [KeySize]byte
	rand.Read(priv[:])
	k, _ := curveKeyFromPrivate(priv[:]) // 32 bytes: cannot fail
	return k
}

// curveKeyFromPrivate derives the public half of a private key.
func curveKeyFromPrivate(priv []byte) (curveKey, error) {
	if len(priv) != KeySize {
		return curveKey{}, errcode.New(errcode.BadInput, "Curve25519 private key must be %d bytes, got %d", KeySize, len(priv))
	}
	pub, err := x25519.PublicKey(priv)
	if err != nil {
		return curveKey{}, err
	}
	var k curveKey
	copy(k.private[:], priv)
	copy(k.public[:], pub)
	return k, nil
}

// curveKeyFromParts rebuilds a key pair from stored private and public
// halves without the cost of re-deriving the public key. Only for state that
// is authenticated (our sealed pickles, a MAC-checked libolm pickle).
func curveKeyFromParts(priv, pub []byte) curveKey {
	var k curveKey
	copy(k.private[:], priv)
	copy(k.public[:], pub)
	return k
}

// dh is X25519(our private, their public). An all-zero result (their key
// is a low-order point) would make the "shared" secret known to anybody, so
// it is an error; the caller chooses the error code for that.
func (k *curveKey) dh(theirPublic []byte) ([]byte, error) {
	return x25519.SharedSecret(k.private[:], theirPublic)
}

// publicB64 is the public key as Matrix writes it.
func (k *curveKey) publicB64() string { return b64.Encode(k.public[:]) }

// decodeKey decodes a base64 Curve25519 public key, naming the field in errors.
func decodeKey(s, field string) ([KeySize]byte, error) {
	var out [KeySize]byte
	b, err := b64.DecodeLen(s, KeySize, field)
	if err != nil {
		return out, err
	}
	copy(out[:], b)
	return out, nil
}

// hkdfSHA256 is HKDF-SHA-256 (RFC 5869). Olm and libolm pickles always ask
// for at most 80 bytes, far below HKDF's limit of 255*32, so it cannot fail.
func hkdfSHA256(salt, ikm []byte, info string, n int) []byte {
	return hmacsha256.HKDF(ikm, salt, info, n)
}

// hmacSHA256 is HMAC-SHA-256 of msg under key.
func hmacSHA256(key, msg []byte) []byte { return hmacsha256.Sum(key, msg) }

// zeroSalt is Olm's "default" HKDF salt: 32 zero bytes. (An empty or a
// one-byte zero salt gives the same PRK; HMAC pads short keys with zeros.)
var zeroSalt [32]byte
