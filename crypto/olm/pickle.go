package olm

import (
	"encoding/binary"
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
	var w pickleWriter
	w.u8(accountPickleVersion)
	if seed := a.signingKey.Seed(); seed != nil {
		w.u8(signingKeyFormSeed)
		w.bytes(seed)
	} else {
		w.u8(signingKeyFormExpanded)
		w.bytes(a.signingKey.Expanded())
	}
	w.bytes(a.signingKey.Public())
	w.bytes(a.identityKey.private[:])
	w.bytes(a.identityKey.public[:])
	w.u32(a.lastKeyID)
	w.u32(uint32(len(a.oneTimeKeys.keys)))
	for _, k := range a.oneTimeKeys.keys {
		w.u32(k.id)
		w.bool(k.published)
		w.bytes(k.key.private[:])
		w.bytes(k.key.public[:])
	}
	w.bool(a.fallbackKeys.current != nil)
	if a.fallbackKeys.current != nil {
		w.fallbackKey(a.fallbackKeys.current)
	}
	w.u32(uint32(len(a.fallbackKeys.old)))
	for i := range a.fallbackKeys.old {
		w.fallbackKey(&a.fallbackKeys.old[i])
	}
	return w.b
}

func unmarshalAccount(raw []byte) (*Account, error) {
	r := pickleReader{b: raw, what: "account pickle"}
	if v := r.u8(); r.err == nil && v != accountPickleVersion {
		return nil, errcode.New(errcode.BadPickle, "account pickle version %d is not supported (this mxcrypto reads version %d)", v, accountPickleVersion)
	}
	a := &Account{}
	var private []byte
	switch form := r.u8(); form {
	case signingKeyFormSeed:
		private = r.take(ed25519x.SeedSize)
	case signingKeyFormExpanded:
		private = r.take(ed25519x.ExpandedSize)
	default:
		r.fail("unknown Ed25519 key form %d", form)
	}
	// The public key is stored, not derived again: pickles are authenticated
	// and states come from this module, and deriving costs a scalar
	// multiplication on every call through the JS bridge.
	public := r.take(ed25519x.PublicSize)
	if r.err == nil {
		var err error
		if a.signingKey, err = ed25519x.FromStored(private, public); err != nil {
			r.fail("bad Ed25519 key")
		}
	}
	a.identityKey = curveKeyFromParts(r.take(KeySize), r.take(KeySize))
	a.lastKeyID = r.u32()
	n := r.count(MaxOneTimeKeys, oneTimeKeyRecordSize, "one-time keys")
	for range n {
		k := oneTimeKey{id: r.u32(), published: r.bool()}
		k.key = curveKeyFromParts(r.take(KeySize), r.take(KeySize))
		a.oneTimeKeys.keys = append(a.oneTimeKeys.keys, k)
		r.checkKeyID(k.id, a.lastKeyID)
	}
	if r.bool() {
		k := r.fallbackKey()
		a.fallbackKeys.current = &k
		r.checkKeyID(k.id, a.lastKeyID)
	}
	n = r.count(len(raw), fallbackKeyRecordSize, "old fallback keys")
	for range n {
		k := r.fallbackKey()
		a.fallbackKeys.old = append(a.fallbackKeys.old, k)
		r.checkKeyID(k.id, a.lastKeyID)
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Session) marshal() []byte {
	var w pickleWriter
	w.u8(sessionPickleVersion)
	w.bool(s.receivedMessage)
	w.bytes(s.aliceIdentityKey[:])
	w.bytes(s.aliceBaseKey[:])
	w.bytes(s.bobOneTimeKey[:])
	r := &s.ratchet
	w.bytes(r.rootKey[:])
	w.bool(r.hasSender)
	if r.hasSender {
		w.bytes(r.sender.ratchetKey.private[:])
		w.bytes(r.sender.ratchetKey.public[:])
		w.bytes(r.sender.chain.key[:])
		w.u32(r.sender.chain.index)
	}
	w.u8(uint8(len(r.receivers)))
	for _, c := range r.receivers {
		w.bytes(c.ratchetKey[:])
		w.bytes(c.chain.key[:])
		w.u32(c.chain.index)
	}
	w.u8(uint8(len(r.skipped)))
	for _, k := range r.skipped {
		w.bytes(k.ratchetKey[:])
		w.u32(k.index)
		w.bytes(k.messageKey[:])
	}
	return w.b
}

func unmarshalSession(raw []byte) (*Session, error) {
	r := pickleReader{b: raw, what: "session pickle"}
	if v := r.u8(); r.err == nil && v != sessionPickleVersion {
		return nil, errcode.New(errcode.BadPickle, "session pickle version %d is not supported (this mxcrypto reads version %d)", v, sessionPickleVersion)
	}
	s := &Session{receivedMessage: r.bool()}
	copy(s.aliceIdentityKey[:], r.take(KeySize))
	copy(s.aliceBaseKey[:], r.take(KeySize))
	copy(s.bobOneTimeKey[:], r.take(KeySize))
	rt := &s.ratchet
	copy(rt.rootKey[:], r.take(KeySize))
	if rt.hasSender = r.bool(); rt.hasSender {
		rt.sender.ratchetKey = curveKeyFromParts(r.take(KeySize), r.take(KeySize))
		copy(rt.sender.chain.key[:], r.take(KeySize))
		rt.sender.chain.index = r.u32()
	}
	n := int(r.u8())
	if n > MaxReceiverChains {
		r.fail("%d receiver chains (at most %d)", n, MaxReceiverChains)
	}
	for i := 0; i < n && r.err == nil; i++ {
		var c receiverChain
		copy(c.ratchetKey[:], r.take(KeySize))
		copy(c.chain.key[:], r.take(KeySize))
		c.chain.index = r.u32()
		rt.receivers = append(rt.receivers, c)
	}
	n = int(r.u8())
	if n > MaxSkippedMessageKeys {
		r.fail("%d skipped message keys (at most %d)", n, MaxSkippedMessageKeys)
	}
	for i := 0; i < n && r.err == nil; i++ {
		var k skippedKey
		copy(k.ratchetKey[:], r.take(KeySize))
		k.index = r.u32()
		copy(k.messageKey[:], r.take(KeySize))
		rt.skipped = append(rt.skipped, k)
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	if !rt.hasSender && len(rt.receivers) == 0 {
		return nil, errcode.New(errcode.BadPickle, "session pickle has no ratchet chains")
	}
	return s, nil
}

// pickleWriter appends the primitive encodings.
type pickleWriter struct{ b []byte }

func (w *pickleWriter) u8(v uint8)     { w.b = append(w.b, v) }
func (w *pickleWriter) u32(v uint32)   { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *pickleWriter) bytes(v []byte) { w.b = append(w.b, v...) }
func (w *pickleWriter) bool(v bool) {
	if v {
		w.u8(1)
	} else {
		w.u8(0)
	}
}

func (w *pickleWriter) time(t time.Time) {
	var ms int64
	if !t.IsZero() {
		ms = t.UnixMilli()
	}
	w.b = binary.BigEndian.AppendUint64(w.b, uint64(ms))
}

func (w *pickleWriter) fallbackKey(k *fallbackKey) {
	w.u32(k.id)
	w.bytes(k.key.private[:])
	w.bytes(k.key.public[:])
	w.time(k.created)
	w.time(k.published)
	w.time(k.replaced)
	w.time(k.used)
}

// pickleReader decodes; after the first error every read returns zeros and
// the error is reported once, by finish.
type pickleReader struct {
	b    []byte
	err  error
	what string
}

func (r *pickleReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errcode.Context(errcode.New(errcode.BadPickle, format, args...), r.what)
	}
}

func (r *pickleReader) take(n int) []byte {
	if r.err == nil && len(r.b) < n {
		r.fail("truncated")
	}
	if r.err != nil {
		return make([]byte, n)
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *pickleReader) u8() uint8   { return r.take(1)[0] }
func (r *pickleReader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }

func (r *pickleReader) bool() bool {
	switch v := r.u8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("bad boolean %d", v)
		return false
	}
}

func (r *pickleReader) time() time.Time {
	ms := int64(binary.BigEndian.Uint64(r.take(8)))
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// count reads a u32 record count and checks it against a limit and against
// the bytes left, so a damaged count cannot cause a large allocation.
func (r *pickleReader) count(limit, recordSize int, what string) int {
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if uint64(n) > uint64(limit) || uint64(n)*uint64(recordSize) > uint64(len(r.b)) {
		r.fail("%d %s is impossible here", n, what)
		return 0
	}
	return int(n)
}

func (r *pickleReader) fallbackKey() fallbackKey {
	k := fallbackKey{id: r.u32()}
	k.key = curveKeyFromParts(r.take(KeySize), r.take(KeySize))
	k.created = r.time()
	k.published = r.time()
	k.replaced = r.time()
	k.used = r.time()
	return k
}

// checkKeyID rejects a key id the account's counter has not reached: the
// counter is what keeps ids from being reused.
func (r *pickleReader) checkKeyID(id, last uint32) {
	if id > last {
		r.fail("key id %d is above the last id handed out (%d)", id, last)
	}
}

func (r *pickleReader) finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d unexpected bytes at the end", len(r.b))
	}
	return r.err
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
