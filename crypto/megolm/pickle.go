package megolm

import (
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/sealed"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/bincodec"
)

// mxcrypto's own pickles: the session state, versioned, sealed with package
// sealed (XChaCha20-Poly1305, random nonce) under a 32-byte pickle key and a
// label per kind, then base64 so it can be stored as text. Unlike libolm
// pickles they do not reuse an IV per key, and the seed of a signing key
// created here is kept (libolm can only store the expanded key).
//
// Inbound plaintext, version 1 (298 bytes):
//
//	0x01 || initial ratchet(128) || u32 initial counter ||
//	        latest ratchet(128)  || u32 latest counter  ||
//	        Ed25519 public(32) || u8 verified
//
// Outbound plaintext, version 1:
//
//	0x01 || ratchet(128) || u32 counter ||
//	        u8 key form (1 = seed, 2 = libolm expanded, 3 = expanded but not the
//	        public key's, cannot sign) || key (32 or 64) ||
//	        Ed25519 public(32) || u8 has creation time || i64 creation time (Unix ms)
//
// Integers are big-endian.
const (
	inboundLabel  = "megolm.inbound"
	outboundLabel = "megolm.outbound"
	pickleVersion = 1

	inboundPickleSize = 1 + 2*(ratchetSize+4) + ed25519x.PublicSize + 1

	keyFormSeed     = 1
	keyFormExpanded = 2
	// keyFormMismatched: expanded, and not the key of the session's public
	// key (a libolm import libolm itself accepted); such a session cannot sign.
	keyFormMismatched = 3
)

// Pickle returns the session sealed under pickleKey (32 bytes), as base64.
func (s *InboundGroupSession) Pickle(pickleKey []byte) (string, error) {
	return seal(pickleKey, inboundLabel, s.MarshalState())
}

// MarshalState returns the session's state unencrypted (the plaintext of a
// pickle). It holds secrets: for keeping a session in memory, e.g. on the JS
// side of the bridge; anything stored must be a Pickle.
func (s *InboundGroupSession) MarshalState() []byte {
	s.mu.Lock()
	w := bincodec.Writer{B: make([]byte, 0, inboundPickleSize)}
	w.U8(pickleVersion)
	writeRatchet(&w, &s.initial)
	writeRatchet(&w, &s.latest)
	w.Raw(s.public[:])
	w.Bool(s.verified)
	s.mu.Unlock()
	return w.B
}

// UnmarshalInboundState restores a session from MarshalState's output.
func UnmarshalInboundState(state []byte) (*InboundGroupSession, error) {
	return decodeInboundPickle(state)
}

// UnpickleInbound restores a session from Pickle's output. A wrong key (or an
// altered pickle) is WrongKey; anything malformed is BadPickle.
func UnpickleInbound(pickleKey []byte, pickle string) (*InboundGroupSession, error) {
	pt, err := open(pickleKey, inboundLabel, pickle)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return decodeInboundPickle(pt)
}

func decodeInboundPickle(pt []byte) (*InboundGroupSession, error) {
	if len(pt) == 0 || pt[0] != pickleVersion {
		return nil, badVersion("inbound", pt)
	}
	if len(pt) != inboundPickleSize {
		return nil, errcode.New(errcode.BadPickle, "inbound session pickle is %d bytes, expected %d", len(pt), inboundPickleSize)
	}
	r := bincodec.NewReader(pt[1:], "inbound session pickle")
	s := &InboundGroupSession{}
	s.initial = readRatchet(r)
	s.latest = readRatchet(r)
	copy(s.public[:], r.Fixed(ed25519x.PublicSize, "Ed25519 key"))
	s.verified = r.Bool()
	if err := finishPickle(r); err != nil {
		return nil, err
	}
	if s.latest.counter < s.initial.counter {
		return nil, errcode.New(errcode.BadPickle, "inbound session pickle: latest index %d is below the first known index %d", s.latest.counter, s.initial.counter)
	}
	return s, nil
}

// Pickle returns the session sealed under pickleKey (32 bytes), as base64.
func (s *OutboundGroupSession) Pickle(pickleKey []byte) (string, error) {
	return seal(pickleKey, outboundLabel, s.MarshalState())
}

// MarshalState returns the session's state unencrypted; see
// InboundGroupSession.MarshalState.
func (s *OutboundGroupSession) MarshalState() []byte {
	s.mu.Lock()
	w := bincodec.Writer{B: make([]byte, 0, 1+ratchetSize+4+1+ed25519x.ExpandedSize+ed25519x.PublicSize+9)}
	w.U8(pickleVersion)
	writeRatchet(&w, &s.ratchet)
	if seed := s.signer.Seed(); seed != nil {
		w.U8(keyFormSeed)
		w.Raw(seed)
		clear(seed)
	} else {
		exp := s.signer.Expanded()
		form := byte(keyFormExpanded)
		if s.mismatched {
			form = keyFormMismatched
		}
		w.U8(form)
		w.Raw(exp)
		clear(exp)
	}
	w.Raw(s.public[:])
	w.Bool(!s.createdAt.IsZero())
	var ms int64
	if !s.createdAt.IsZero() {
		ms = s.createdAt.UnixMilli()
	}
	w.U64(uint64(ms))
	s.mu.Unlock()
	return w.B
}

// UnmarshalOutboundState restores a session from MarshalState's output.
func UnmarshalOutboundState(state []byte) (*OutboundGroupSession, error) {
	return decodeOutboundPickle(state)
}

// UnpickleOutbound restores a session from Pickle's output. A wrong key (or an
// altered pickle) is WrongKey; anything malformed is BadPickle.
func UnpickleOutbound(pickleKey []byte, pickle string) (*OutboundGroupSession, error) {
	pt, err := open(pickleKey, outboundLabel, pickle)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return decodeOutboundPickle(pt)
}

func decodeOutboundPickle(pt []byte) (*OutboundGroupSession, error) {
	if len(pt) == 0 || pt[0] != pickleVersion {
		return nil, badVersion("outbound", pt)
	}
	r := bincodec.NewReader(pt[1:], "outbound session pickle")
	s := &OutboundGroupSession{}
	s.ratchet = readRatchet(r)
	var keyLen int
	switch form := r.U8(); form {
	case keyFormSeed:
		keyLen = ed25519x.SeedSize
	case keyFormExpanded, keyFormMismatched:
		keyLen = ed25519x.ExpandedSize
		s.mismatched = form == keyFormMismatched
	default:
		r.Fail("unknown signing key form %d", form)
	}
	private := r.Fixed(keyLen, "signing key")
	// The public key is stored, not derived again: pickles are authenticated
	// and states come from this module, and deriving costs a scalar
	// multiplication on every call through the JS bridge.
	copy(s.public[:], r.Fixed(ed25519x.PublicSize, "Ed25519 key"))
	hasTime := r.Bool()
	ms := int64(r.U64())
	if err := finishPickle(r); err != nil {
		return nil, err
	}
	var err error
	s.signer, err = ed25519x.FromStored(private, s.public[:])
	if err != nil {
		return nil, errcode.Wrap(errcode.BadPickle, err, "outbound session pickle: signing key")
	}
	switch {
	case !hasTime && ms == 0:
	case hasTime && !time.UnixMilli(ms).IsZero():
		s.createdAt = time.UnixMilli(ms)
	default:
		return nil, errcode.New(errcode.BadPickle, "outbound session pickle: bad creation time")
	}
	return s, nil
}

// writeRatchet writes ratchet(128) || u32 counter.
func writeRatchet(w *bincodec.Writer, r *ratchet) {
	w.B = r.bytes(w.B)
	w.U32(r.counter)
}

func readRatchet(r *bincodec.Reader) ratchet {
	data := r.Fixed(ratchetSize, "ratchet")
	return newRatchet(data, r.U32())
}

// finishPickle reports the reader's first failure (or bytes left over) as
// BadPickle.
func finishPickle(r *bincodec.Reader) error {
	if err := r.Finish(); err != nil {
		return errcode.Wrap(errcode.BadPickle, err, "damaged")
	}
	return nil
}

func badVersion(kind string, pt []byte) error {
	if len(pt) == 0 {
		return errcode.New(errcode.BadPickle, "%s session pickle is empty", kind)
	}
	return errcode.New(errcode.BadPickle, "%s session pickle version %d is not supported by this mxcrypto (it reads version %d)", kind, pt[0], pickleVersion)
}

func seal(key []byte, label string, plaintext []byte) (string, error) {
	defer clear(plaintext)
	out, err := sealed.Seal(key, label, plaintext)
	if err != nil {
		return "", err
	}
	return b64.Encode(out), nil
}

func open(key []byte, label, pickle string) ([]byte, error) {
	if len(key) != sealed.KeySize {
		return nil, errcode.New(errcode.BadInput, "pickle key must be %d bytes, got %d", sealed.KeySize, len(key))
	}
	data, err := b64.Decode(pickle)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadPickle, err, "megolm pickle is not base64")
	}
	return sealed.Open(key, label, data)
}
