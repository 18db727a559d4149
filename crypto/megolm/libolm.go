package megolm

import (
	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// libolm pickle layouts (docs/megolm.md §8), inside libolm's pickle envelope:
//
//	outbound v1: u32 1 || ratchet(128) || u32 counter || Ed25519 public(32) || Ed25519 expanded private(64)
//	inbound  v2: u32 2 || initial ratchet(128) || u32 counter || latest ratchet(128) || u32 counter ||
//	             Ed25519 public(32) || bool signing key verified
//	inbound  v1: the same without the final bool (read as verified, as libolm does)
//
// They let users of libolm-based clients (matrix-js-sdk's legacy crypto,
// mautrix) carry their sessions over, and let us hand sessions back.
const (
	libolmOutboundVersion   = 1
	libolmInboundVersion    = 2
	libolmInboundVersionOld = 1
)

// ImportLibolmInbound reads an InboundGroupSession pickled by libolm with
// pickleKey (any bytes; libolm pickle keys are arbitrary strings). A MAC
// mismatch is WrongKey; anything malformed is BadPickle.
func ImportLibolmInbound(pickleKey []byte, pickle string) (*InboundGroupSession, error) {
	raw, err := libolmpickle.Decrypt(pickleKey, pickle)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return decodeLibolmInbound(raw)
}

func decodeLibolmInbound(raw []byte) (*InboundGroupSession, error) {
	r := libolmpickle.NewReader(raw)
	version := r.U32()
	if r.Err() == nil && version != libolmInboundVersion && version != libolmInboundVersionOld {
		return nil, errcode.New(errcode.BadPickle, "libolm inbound group session pickle version %d is not supported (versions 1 and 2 are)", version)
	}
	s := &InboundGroupSession{verified: true}
	s.initial = readLibolmRatchet(r)
	s.latest = readLibolmRatchet(r)
	copy(s.public[:], r.Bytes(ed25519x.PublicSize))
	if version == libolmInboundVersion {
		s.verified = r.Bool()
	}
	if err := r.Finish(); err != nil {
		return nil, errcode.Context(err, "inbound group session")
	}
	// libolm compares indices modulo 2^32; a cache below the initial ratchet
	// under plain comparison is useless here, so start it over.
	if s.latest.counter < s.initial.counter {
		s.latest = s.initial
	}
	return s, nil
}

// PickleLibolm returns the session as a libolm pickle (inbound version 2)
// encrypted with pickleKey, which libolm (and vodozemac's libolm import) can
// read.
func (s *InboundGroupSession) PickleLibolm(pickleKey []byte) (string, error) {
	s.mu.Lock()
	var w libolmpickle.Writer
	w.U32(libolmInboundVersion)
	writeLibolmRatchet(&w, &s.initial)
	writeLibolmRatchet(&w, &s.latest)
	w.Bytes(s.public[:])
	w.Bool(s.verified)
	s.mu.Unlock()
	raw := w.Raw()
	defer clear(raw)
	return libolmpickle.Encrypt(pickleKey, raw)
}

// ImportLibolmOutbound reads an OutboundGroupSession pickled by libolm with
// pickleKey. libolm does not record the creation time, so CreatedAt is zero
// (NeedsRotation then says rotate) unless the caller sets it with
// SetCreatedAt. libolm does not check that the stored public key belongs to
// the stored private key, and neither does this import (libolm's own all-zero
// test pickle has a mismatch); such a session keeps its id but Encrypt and
// SessionKey fail with BadPickle.
func ImportLibolmOutbound(pickleKey []byte, pickle string) (*OutboundGroupSession, error) {
	raw, err := libolmpickle.Decrypt(pickleKey, pickle)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return decodeLibolmOutbound(raw)
}

func decodeLibolmOutbound(raw []byte) (*OutboundGroupSession, error) {
	r := libolmpickle.NewReader(raw)
	version := r.U32()
	if r.Err() == nil && version != libolmOutboundVersion {
		return nil, errcode.New(errcode.BadPickle, "libolm outbound group session pickle version %d is not supported (version 1 is)", version)
	}
	s := &OutboundGroupSession{}
	s.ratchet = readLibolmRatchet(r)
	copy(s.public[:], r.Bytes(ed25519x.PublicSize))
	expanded := r.Bytes(ed25519x.ExpandedSize)
	defer clear(expanded)
	if err := r.Finish(); err != nil {
		return nil, errcode.Context(err, "outbound group session")
	}
	signer, err := ed25519x.FromExpanded(expanded)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadPickle, err, "libolm outbound group session: signing key")
	}
	s.signer = signer
	s.mismatched = string(signer.Public()) != string(s.public[:])
	return s, nil
}

// PickleLibolm returns the session as a libolm pickle (outbound version 1)
// encrypted with pickleKey. The signing key is written in libolm's expanded
// form; the creation time is lost.
func (s *OutboundGroupSession) PickleLibolm(pickleKey []byte) (string, error) {
	s.mu.Lock()
	var w libolmpickle.Writer
	w.U32(libolmOutboundVersion)
	writeLibolmRatchet(&w, &s.ratchet)
	w.Bytes(s.public[:])
	exp := s.signer.Expanded()
	w.Bytes(exp)
	clear(exp)
	s.mu.Unlock()
	raw := w.Raw()
	defer clear(raw)
	return libolmpickle.Encrypt(pickleKey, raw)
}

// readLibolmRatchet reads libolm's Megolm record: 128 ratchet bytes, then
// the u32 counter.
func readLibolmRatchet(r *libolmpickle.Reader) ratchet {
	data := r.Bytes(ratchetSize)
	defer clear(data)
	return newRatchet(data, r.U32())
}

func writeLibolmRatchet(w *libolmpickle.Writer, rt *ratchet) {
	data := rt.bytes(make([]byte, 0, ratchetSize))
	w.Bytes(data)
	clear(data)
	w.U32(rt.counter)
}
