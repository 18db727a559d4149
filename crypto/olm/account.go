package olm

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Account is a device's Olm identity: an Ed25519 key that signs the
// device's published keys, a Curve25519 identity key used in every session
// handshake, and the private halves of its one-time and fallback keys.
//
// Create one with NewAccount, UnpickleAccount or ImportLibolmAccount; the
// zero Account has no keys and is not usable. The exported fields are
// run-time settings; they are not pickled. Set them after creating or
// restoring the account if the defaults do not suit.
type Account struct {
	// Clock returns the current time; nil means time.Now. Fallback-key
	// rotation and retention are judged by it, so tests can move time.
	Clock func() time.Time
	// FallbackRotationPeriod: a fallback key older than this is replaced by
	// RotateFallbackKeyIfNeeded. Zero means DefaultFallbackRotationPeriod.
	FallbackRotationPeriod time.Duration
	// FallbackRetention: an old fallback private key is forgotten this long
	// after it was replaced (the most recently replaced one is always kept).
	// Zero means DefaultFallbackRetention.
	FallbackRetention time.Duration

	signingKey   *ed25519x.PrivateKey
	identityKey  curveKey
	oneTimeKeys  oneTimeKeys
	fallbackKeys fallbackKeys
	// lastKeyID is the last key id handed out; one-time and fallback keys
	// share the counter, as in libolm, so an id is never used twice.
	lastKeyID uint32
}

// IdentityKeys are an account's two public keys, in the JSON shape of
// libolm's identity_keys(): {"curve25519": "...", "ed25519": "..."}.
type IdentityKeys struct {
	Curve25519 string `json:"curve25519"`
	Ed25519    string `json:"ed25519"`
}

// NewAccount creates an account with fresh identity keys and no one-time
// or fallback keys.
func NewAccount() *Account {
	return &Account{
		signingKey:  ed25519x.Generate(),
		identityKey: newCurveKey(),
	}
}

// IdentityKeys returns the account's public identity keys.
func (a *Account) IdentityKeys() IdentityKeys {
	return IdentityKeys{Curve25519: a.Curve25519Key(), Ed25519: a.Ed25519Key()}
}

// Curve25519Key is the identity key peers use to set up sessions (the
// "sender key"), unpadded base64.
func (a *Account) Curve25519Key() string { return a.identityKey.publicB64() }

// Ed25519Key is the device's signing key (its fingerprint), unpadded base64.
func (a *Account) Ed25519Key() string { return b64.Encode(a.signingKey.Public()) }

// Sign signs message with the account's Ed25519 key and returns the
// signature as unpadded base64.
func (a *Account) Sign(message []byte) string {
	return b64.Encode(a.signingKey.Sign(message))
}

// now is the account's clock, at millisecond precision (what pickles keep)
// and without a monotonic reading, so pickled and live times compare equal.
func (a *Account) now() time.Time {
	t := time.Now()
	if a.Clock != nil {
		t = a.Clock()
	}
	return time.UnixMilli(t.UnixMilli())
}

// nextKeyID hands out the next one-time/fallback key id.
func (a *Account) nextKeyID() (uint32, error) {
	if a.lastKeyID == math.MaxUint32 {
		return 0, errcode.New(errcode.BadInput, "the account has used up all 2^32 key ids; create a new device")
	}
	a.lastKeyID++
	return a.lastKeyID, nil
}

// keyIDString is how a key id appears in key names ("signed_curve25519:
// AAAAAQ"): unpadded base64 of the id as 4 bytes big-endian, as libolm
// writes it. The server and peers treat it as an opaque string.
func keyIDString(id uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	return b64.Encode(b[:])
}

// MarkKeysAsPublished records that the keys returned by KeysForUpload (the
// unpublished one-time keys and fallback key) were accepted by the server.
// Call it only after /keys/upload succeeded.
func (a *Account) MarkKeysAsPublished() {
	a.oneTimeKeys.markPublished()
	a.fallbackKeys.markPublished(a.now())
}
