package olm

import (
	"bytes"
	"slices"
	"time"
)

// Fallback keys (MSC2732) are one-time-style keys the server hands out when
// it has run out of one-time keys. Unlike one-time keys they may be used by
// many sessions, so they are rotated instead of removed on use, and old
// private keys are kept for a while so that pre-key messages made with a
// just-replaced key still decrypt.
//
// The life of one fallback key:
//
//	generated ── MarkKeysAsPublished ──▶ published ── pre-key message ──▶ used
//	    │                                   │          decrypted            │
//	    └───────────────┬───────────────────┴───────────────────────────────┘
//	                    ▼ a newer key is generated
//	                replaced (private key kept, still decrypts)
//	                    ▼ Retention after replacement, and not the most
//	                      recently replaced key
//	                 purged (private key forgotten)
//
// Rotation (RotateFallbackKeyIfNeeded) follows docs/keys.md §7.3: a new key when
// there is none, when the current key was used (MSC4081's definition: a
// pre-key message made with it was decrypted), when the server no longer
// lists signed_curve25519 in device_unused_fallback_key_types (it handed the
// key out), or when the current key is older than the rotation period.
//
// Retention follows MSC4081: keep an old key until Retention after it was
// replaced, and always keep the most recently replaced one, so a backlog of
// messages to it still decrypts after a long absence. libolm and vodozemac
// hold only current + previous; here any number of old keys within the
// window are held.

const (
	// DefaultFallbackRotationPeriod: replace a fallback key after a week even
	// if unused (MSC4081; matrix-rust-sdk does the same).
	DefaultFallbackRotationPeriod = 7 * 24 * time.Hour
	// DefaultFallbackRetention: keep an old fallback private key 30 days
	// after it was replaced (MSC4081).
	DefaultFallbackRetention = 30 * 24 * time.Hour

	// keyAlgorithmSignedCurve25519 is the key algorithm of Olm one-time and
	// fallback keys on the server.
	keyAlgorithmSignedCurve25519 = "signed_curve25519"
)

// fallbackKey is one fallback key and its history. A zero time means the
// event has not happened.
type fallbackKey struct {
	id        uint32
	key       curveKey
	created   time.Time
	published time.Time // accepted by the server (MarkKeysAsPublished)
	replaced  time.Time // a newer key became current
	used      time.Time // first pre-key message with it decrypted
}

// fallbackKeys is the state machine: at most one current key and the
// replaced keys still retained.
type fallbackKeys struct {
	current *fallbackKey
	old     []fallbackKey // most recently replaced first
}

// replaceCurrent makes k the current key; the previous current key becomes
// an old key, replaced now.
func (f *fallbackKeys) replaceCurrent(k fallbackKey, now time.Time) {
	if f.current != nil {
		prev := *f.current
		prev.replaced = now
		f.old = append([]fallbackKey{prev}, f.old...)
	}
	f.current = &k
}

// unpublished is the current key if the server does not have it yet.
func (f *fallbackKeys) unpublished() *fallbackKey {
	if f.current != nil && f.current.published.IsZero() {
		return f.current
	}
	return nil
}

func (f *fallbackKeys) markPublished(now time.Time) {
	if k := f.unpublished(); k != nil {
		k.published = now
	}
}

// find returns the current or retained key with this public key, or nil.
func (f *fallbackKeys) find(public []byte) *fallbackKey {
	if f.current != nil && bytes.Equal(f.current.key.public[:], public) {
		return f.current
	}
	for i := range f.old {
		if bytes.Equal(f.old[i].key.public[:], public) {
			return &f.old[i]
		}
	}
	return nil
}

// rotationReason says why the current key should be replaced, or "" if it
// should not. serverUnused is /sync's device_unused_fallback_key_types; nil
// means the server did not send the field, and the rule is skipped.
func (f *fallbackKeys) rotationReason(now time.Time, period time.Duration, serverUnused []string) string {
	k := f.current
	switch {
	case k == nil:
		return "there is no fallback key yet"
	case !k.used.IsZero():
		return "a pre-key message made with the current key was decrypted"
	case serverUnused != nil && !k.published.IsZero() && !slices.Contains(serverUnused, keyAlgorithmSignedCurve25519):
		return "the server has handed out the current key"
	case now.Sub(k.created) >= period:
		return "the current key is older than the rotation period"
	}
	return ""
}

// purge forgets old keys replaced more than retention ago, except the most
// recently replaced one. It returns how many were forgotten.
func (f *fallbackKeys) purge(now time.Time, retention time.Duration) int {
	if len(f.old) <= 1 {
		return 0
	}
	kept := f.old[:1]
	for _, k := range f.old[1:] {
		if now.Sub(k.replaced) <= retention {
			kept = append(kept, k)
		}
	}
	n := len(f.old) - len(kept)
	f.old = kept
	return n
}

// FallbackKeyInfo describes a fallback key the account holds. Times are zero
// when the event has not happened.
//
// It has no JSON form of its own: the JS API shows it as
// {keyId, publicKey, current, created, published, replaced, used} with
// times in Unix milliseconds (jsbridge builds that object).
type FallbackKeyInfo struct {
	KeyID     string
	PublicKey string
	Current   bool
	Created   time.Time
	Published time.Time
	Replaced  time.Time
	Used      time.Time
}

func (k *fallbackKey) info(current bool) FallbackKeyInfo {
	return FallbackKeyInfo{
		KeyID:     keyIDString(k.id),
		PublicKey: k.key.publicB64(),
		Current:   current,
		Created:   k.created,
		Published: k.published,
		Replaced:  k.replaced,
		Used:      k.used,
	}
}

func (a *Account) rotationPeriod() time.Duration {
	if a.FallbackRotationPeriod > 0 {
		return a.FallbackRotationPeriod
	}
	return DefaultFallbackRotationPeriod
}

func (a *Account) retention() time.Duration {
	if a.FallbackRetention > 0 {
		return a.FallbackRetention
	}
	return DefaultFallbackRetention
}

// GenerateFallbackKey replaces the current fallback key with a new,
// unpublished one (the old one is retained, see the package notes above),
// and forgets old keys past their retention.
func (a *Account) GenerateFallbackKey() error {
	id, err := a.nextKeyID()
	if err != nil {
		return err
	}
	now := a.now()
	a.fallbackKeys.replaceCurrent(fallbackKey{id: id, key: newCurveKey(), created: now}, now)
	a.fallbackKeys.purge(now, a.retention())
	return nil
}

// RotateFallbackKeyIfNeeded applies the rotation rules and generates a new
// fallback key if one applies; it also forgets old keys past retention.
// Pass /sync's device_unused_fallback_key_types, or nil when the response
// did not include it. If it reports true, upload KeysForUpload's
// fallback_keys and then MarkKeysAsPublished.
func (a *Account) RotateFallbackKeyIfNeeded(unusedFallbackKeyTypes []string) (bool, error) {
	now := a.now()
	if a.fallbackKeys.rotationReason(now, a.rotationPeriod(), unusedFallbackKeyTypes) == "" {
		a.fallbackKeys.purge(now, a.retention())
		return false, nil
	}
	if err := a.GenerateFallbackKey(); err != nil {
		return false, err
	}
	return true, nil
}

// FallbackKeyRotationReason explains why RotateFallbackKeyIfNeeded would
// rotate now ("" if it would not), for logs.
func (a *Account) FallbackKeyRotationReason(unusedFallbackKeyTypes []string) string {
	return a.fallbackKeys.rotationReason(a.now(), a.rotationPeriod(), unusedFallbackKeyTypes)
}

// UnpublishedFallbackKey maps key id to base64 public key for the current
// fallback key if it has not been published yet; otherwise it is empty.
func (a *Account) UnpublishedFallbackKey() map[string]string {
	out := map[string]string{}
	if k := a.fallbackKeys.unpublished(); k != nil {
		out[keyIDString(k.id)] = k.key.publicB64()
	}
	return out
}

// FallbackKeyStatus lists the fallback keys held, current first, then the
// old ones from the most recently replaced. Public parts only.
func (a *Account) FallbackKeyStatus() []FallbackKeyInfo {
	var out []FallbackKeyInfo
	if a.fallbackKeys.current != nil {
		out = append(out, a.fallbackKeys.current.info(true))
	}
	for i := range a.fallbackKeys.old {
		out = append(out, a.fallbackKeys.old[i].info(false))
	}
	return out
}
