package olm

import (
	"bytes"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// MaxOneTimeKeys is how many one-time private keys an account holds, as in
// libolm. Generating beyond it drops the oldest keys; a peer that claimed
// one of those can no longer start a session with it. Keep about half this
// many on the server so that claimed-but-unused keys are not evicted.
const MaxOneTimeKeys = 100

// oneTimeKey is a Curve25519 key used for exactly one inbound session.
type oneTimeKey struct {
	id        uint32
	published bool
	key       curveKey
}

// oneTimeKeys holds the private one-time keys, oldest first.
type oneTimeKeys struct {
	keys []oneTimeKey
}

// add appends a key, dropping the oldest beyond MaxOneTimeKeys.
func (o *oneTimeKeys) add(k oneTimeKey) {
	o.keys = append(o.keys, k)
	if n := len(o.keys) - MaxOneTimeKeys; n > 0 {
		o.keys = append([]oneTimeKey(nil), o.keys[n:]...)
	}
}

// unpublished maps key id to public key for the keys not yet uploaded.
func (o *oneTimeKeys) unpublished() map[string]string {
	out := map[string]string{}
	for i := range o.keys {
		if !o.keys[i].published {
			out[keyIDString(o.keys[i].id)] = o.keys[i].key.publicB64()
		}
	}
	return out
}

func (o *oneTimeKeys) markPublished() {
	for i := range o.keys {
		o.keys[i].published = true
	}
}

// find returns the index of the key with this public key, or -1.
func (o *oneTimeKeys) find(public []byte) int {
	for i := range o.keys {
		if bytes.Equal(o.keys[i].key.public[:], public) {
			return i
		}
	}
	return -1
}

func (o *oneTimeKeys) remove(i int) {
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
}

// GenerateOneTimeKeys creates n new one-time keys (0 ≤ n ≤ MaxOneTimeKeys).
// They stay "unpublished" until MarkKeysAsPublished.
func (a *Account) GenerateOneTimeKeys(n int) error {
	if n < 0 || n > MaxOneTimeKeys {
		return errcode.New(errcode.BadInput, "can generate 0 to %d one-time keys at a time, not %d", MaxOneTimeKeys, n)
	}
	for range n {
		id, err := a.nextKeyID()
		if err != nil {
			return err
		}
		a.oneTimeKeys.add(oneTimeKey{id: id, key: newCurveKey()})
	}
	return nil
}

// UnpublishedOneTimeKeys maps key id to base64 public key for every
// one-time key not yet marked as published.
func (a *Account) UnpublishedOneTimeKeys() map[string]string {
	return a.oneTimeKeys.unpublished()
}

// OneTimeKeyCount is how many one-time private keys the account holds.
func (a *Account) OneTimeKeyCount() int { return len(a.oneTimeKeys.keys) }

// MaxNumberOfOneTimeKeys is MaxOneTimeKeys, for callers that wrap methods.
func (a *Account) MaxNumberOfOneTimeKeys() int { return MaxOneTimeKeys }

// removeOneTimeKey forgets the one-time key with this public key (base64).
// NewInboundSession already does this for the key it used; the tests use it
// to take keys away. UnknownOneTimeKey if not held.
func (a *Account) removeOneTimeKey(publicKey string) error {
	pub, err := decodeKey(publicKey, "one-time key")
	if err != nil {
		return err
	}
	i := a.oneTimeKeys.find(pub[:])
	if i < 0 {
		return errcode.New(errcode.UnknownOneTimeKey, "the account holds no one-time key %s", publicKey)
	}
	a.oneTimeKeys.remove(i)
	return nil
}
