package olm

import (
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// mxcrypto's own pickles: a versioned binary encoding of the full state,
// sealed with crypto/sealed (XChaCha20-Poly1305, random nonce) under a
// 32-byte pickle key and a label naming the object type, so an account
// pickle cannot be opened as a session. A wrong key (or any change to the
// sealed bytes) is WrongKey; a value that is not a sealed pickle at all, or
// whose contents do not parse, is BadPickle.
//
// Integers are big-endian; times are Unix milliseconds with 0 meaning "not
// yet". Counts are bounded by the limits the live objects keep, so a
// damaged count cannot make the decoder allocate much.

const (
	accountPickleLabel   = "olm.account"
	sessionPickleLabel   = "olm.session"
	accountPickleVersion = 1
	sessionPickleVersion = 1

	signingKeyFormSeed     = 1
	signingKeyFormExpanded = 2

	oneTimeKeyRecordSize  = 4 + 1 + 2*KeySize
	fallbackKeyRecordSize = 4 + 2*KeySize + 4*8
)

// Pickle serialises the account, sealed under a 32-byte pickle key (a
// different length is BadInput). The run-time settings (Clock, fallback
// periods) are not included.
func (a *Account) Pickle(key []byte) ([]byte, error) {
	return sealed.Seal(key, accountPickleLabel, a.marshal())
}

// UnpickleAccount restores an account from Pickle's output.
func UnpickleAccount(key, pickle []byte) (*Account, error) {
	raw, err := sealed.Open(key, accountPickleLabel, pickle)
	if err != nil {
		return nil, errcode.Context(err, "account pickle")
	}
	return unmarshalAccount(raw)
}

// Pickle serialises the session, sealed under a 32-byte key.
func (s *Session) Pickle(key []byte) ([]byte, error) {
	return sealed.Seal(key, sessionPickleLabel, s.marshal())
}

// UnpickleSession restores a session from Pickle's output.
func UnpickleSession(key, pickle []byte) (*Session, error) {
	raw, err := sealed.Open(key, sessionPickleLabel, pickle)
	if err != nil {
		return nil, errcode.Context(err, "session pickle")
	}
	return unmarshalSession(raw)
}

func (a *Account) marshal() []byte {
	var w bincodec.Writer
	w.U8(accountPickleVersion)
	if seed := a.signingKey.Seed(); seed != nil {
		w.U8(signingKeyFormSeed)
		w.Raw(seed)
	} else {
		w.U8(signingKeyFormExpanded)
		w.Raw(a.signingKey.Expanded())
	}
	w.Raw(a.signingKey.Public())
	w.Raw(a.identityKey.private[:])
	w.Raw(a.identityKey.public[:])
	w.U32(a.lastKeyID)
	w.U32(uint32(len(a.oneTimeKeys.keys)))
	for _, k := range a.oneTimeKeys.keys {
		w.U32(k.id)
		w.Bool(k.published)
		w.Raw(k.key.private[:])
		w.Raw(k.key.public[:])
	}
	w.Bool(a.fallbackKeys.current != nil)
	if a.fallbackKeys.current != nil {
		writeFallbackKey(&w, a.fallbackKeys.current)
	}
	w.U32(uint32(len(a.fallbackKeys.old)))
	for i := range a.fallbackKeys.old {
		writeFallbackKey(&w, &a.fallbackKeys.old[i])
	}
	return w.B
}

func unmarshalAccount(raw []byte) (*Account, error) {
	r := bincodec.NewReader(raw, "account pickle")
	if v := r.U8(); r.Err() == nil && v != accountPickleVersion {
		return nil, errcode.New(errcode.BadPickle, "account pickle version %d is not supported (this mxcrypto reads version %d)", v, accountPickleVersion)
	}
	a := &Account{}
	var private []byte
	switch form := r.U8(); form {
	case signingKeyFormSeed:
		private = r.Fixed(ed25519x.SeedSize, "Ed25519 key")
	case signingKeyFormExpanded:
		private = r.Fixed(ed25519x.ExpandedSize, "Ed25519 key")
	default:
		r.Fail("unknown Ed25519 key form %d", form)
	}
	// The public key is stored, not derived again: pickles are authenticated
	// and states come from this module, and deriving costs a scalar
	// multiplication on every call through the JS bridge.
	public := r.Fixed(ed25519x.PublicSize, "Ed25519 key")
	if r.Err() == nil {
		var err error
		if a.signingKey, err = ed25519x.FromStored(private, public); err != nil {
			r.Fail("bad Ed25519 key")
		}
	}
	a.identityKey = curveKeyFromParts(r.Fixed(KeySize, "key"), r.Fixed(KeySize, "key"))
	a.lastKeyID = r.U32()
	n := r.CountU32(MaxOneTimeKeys, oneTimeKeyRecordSize, "one-time keys")
	for range n {
		k := oneTimeKey{id: r.U32(), published: r.Bool()}
		k.key = curveKeyFromParts(r.Fixed(KeySize, "key"), r.Fixed(KeySize, "key"))
		a.oneTimeKeys.keys = append(a.oneTimeKeys.keys, k)
		checkKeyID(r, k.id, a.lastKeyID)
	}
	if r.Bool() {
		k := readFallbackKey(r)
		a.fallbackKeys.current = &k
		checkKeyID(r, k.id, a.lastKeyID)
	}
	n = r.CountU32(len(raw), fallbackKeyRecordSize, "old fallback keys")
	for range n {
		k := readFallbackKey(r)
		a.fallbackKeys.old = append(a.fallbackKeys.old, k)
		checkKeyID(r, k.id, a.lastKeyID)
	}
	if err := finishPickle(r); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Session) marshal() []byte {
	var w bincodec.Writer
	w.U8(sessionPickleVersion)
	w.Bool(s.receivedMessage)
	w.Raw(s.aliceIdentityKey[:])
	w.Raw(s.aliceBaseKey[:])
	w.Raw(s.bobOneTimeKey[:])
	r := &s.ratchet
	w.Raw(r.rootKey[:])
	w.Bool(r.hasSender)
	if r.hasSender {
		w.Raw(r.sender.ratchetKey.private[:])
		w.Raw(r.sender.ratchetKey.public[:])
		w.Raw(r.sender.chain.key[:])
		w.U32(r.sender.chain.index)
	}
	w.U8(uint8(len(r.receivers)))
	for _, c := range r.receivers {
		w.Raw(c.ratchetKey[:])
		w.Raw(c.chain.key[:])
		w.U32(c.chain.index)
	}
	w.U8(uint8(len(r.skipped)))
	for _, k := range r.skipped {
		w.Raw(k.ratchetKey[:])
		w.U32(k.index)
		w.Raw(k.messageKey[:])
	}
	return w.B
}

func unmarshalSession(raw []byte) (*Session, error) {
	r := bincodec.NewReader(raw, "session pickle")
	if v := r.U8(); r.Err() == nil && v != sessionPickleVersion {
		return nil, errcode.New(errcode.BadPickle, "session pickle version %d is not supported (this mxcrypto reads version %d)", v, sessionPickleVersion)
	}
	s := &Session{receivedMessage: r.Bool()}
	copy(s.aliceIdentityKey[:], r.Fixed(KeySize, "key"))
	copy(s.aliceBaseKey[:], r.Fixed(KeySize, "key"))
	copy(s.bobOneTimeKey[:], r.Fixed(KeySize, "key"))
	rt := &s.ratchet
	copy(rt.rootKey[:], r.Fixed(KeySize, "key"))
	if rt.hasSender = r.Bool(); rt.hasSender {
		rt.sender.ratchetKey = curveKeyFromParts(r.Fixed(KeySize, "key"), r.Fixed(KeySize, "key"))
		copy(rt.sender.chain.key[:], r.Fixed(KeySize, "key"))
		rt.sender.chain.index = r.U32()
	}
	n := int(r.U8())
	if n > MaxReceiverChains {
		r.Fail("%d receiver chains (at most %d)", n, MaxReceiverChains)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var c receiverChain
		copy(c.ratchetKey[:], r.Fixed(KeySize, "key"))
		copy(c.chain.key[:], r.Fixed(KeySize, "key"))
		c.chain.index = r.U32()
		rt.receivers = append(rt.receivers, c)
	}
	n = int(r.U8())
	if n > MaxSkippedMessageKeys {
		r.Fail("%d skipped message keys (at most %d)", n, MaxSkippedMessageKeys)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var k skippedKey
		copy(k.ratchetKey[:], r.Fixed(KeySize, "key"))
		k.index = r.U32()
		copy(k.messageKey[:], r.Fixed(KeySize, "key"))
		rt.skipped = append(rt.skipped, k)
	}
	if err := finishPickle(r); err != nil {
		return nil, err
	}
	if !rt.hasSender && len(rt.receivers) == 0 {
		return nil, errcode.New(errcode.BadPickle, "session pickle has no ratchet chains")
	}
	return s, nil
}

// The primitive encodings are internal/bincodec's fixed-width ones (u8,
// big-endian u32/u64, bytes of a known size, strict booleans). These helpers
// add the olm-specific pieces.

func writeTime(w *bincodec.Writer, t time.Time) {
	var ms int64
	if !t.IsZero() {
		ms = t.UnixMilli()
	}
	w.U64(uint64(ms))
}

func readTime(r *bincodec.Reader) time.Time {
	ms := int64(r.U64())
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func writeFallbackKey(w *bincodec.Writer, k *fallbackKey) {
	w.U32(k.id)
	w.Raw(k.key.private[:])
	w.Raw(k.key.public[:])
	writeTime(w, k.created)
	writeTime(w, k.published)
	writeTime(w, k.replaced)
	writeTime(w, k.used)
}

func readFallbackKey(r *bincodec.Reader) fallbackKey {
	k := fallbackKey{id: r.U32()}
	k.key = curveKeyFromParts(r.Fixed(KeySize, "private key"), r.Fixed(KeySize, "public key"))
	k.created = readTime(r)
	k.published = readTime(r)
	k.replaced = readTime(r)
	k.used = readTime(r)
	return k
}

// checkKeyID rejects a key id the account's counter has not reached: the
// counter is what keeps ids from being reused.
func checkKeyID(r *bincodec.Reader, id, last uint32) {
	if id > last {
		r.Fail("key id %d is above the last id handed out (%d)", id, last)
	}
}

// finishPickle reports the reader's first failure (or bytes left over) as
// BadPickle.
func finishPickle(r *bincodec.Reader) error {
	if err := r.Finish(); err != nil {
		return errcode.Wrap(errcode.BadPickle, err, "damaged")
	}
	return nil
}

// MarshalState returns the account's state unencrypted (the plaintext of a
// pickle). It holds secrets: for keeping an account in memory, e.g. on the JS
// side of the bridge; anything stored must be a Pickle. Clock and the
// fallback settings are not part of it.
func (a *Account) MarshalState() []byte { return a.marshal() }

// UnmarshalAccountState restores an account from MarshalState's output.
func UnmarshalAccountState(state []byte) (*Account, error) { return unmarshalAccount(state) }

// MarshalState returns the session's state unencrypted; see Account.MarshalState.
func (s *Session) MarshalState() []byte { return s.marshal() }

// UnmarshalSessionState restores a session from MarshalState's output.
func UnmarshalSessionState(state []byte) (*Session, error) { return unmarshalSession(state) }
