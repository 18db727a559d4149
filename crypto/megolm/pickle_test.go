package megolm

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

var pickleKey = bytes.Repeat([]byte{7}, 32)

func TestInboundPickle(t *testing.T) {
	out, in := newPair(t)
	msgs := encryptN(t, out, 20)
	mustDecrypt(t, in, msgs[10], 10) // latest at 10
	exp, _ := in.Export(3)
	unverified, _ := ImportInboundGroupSession(exp)

	for _, s := range []*InboundGroupSession{in, unverified} {
		p, err := s.Pickle(pickleKey)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnpickleInbound(pickleKey, p)
		if err != nil {
			t.Fatal(err)
		}
		if snapshot(back) != snapshot(s) {
			t.Fatal("round trip differs")
		}
		mustDecrypt(t, back, msgs[15], 15)

		// libolm round trip keeps the state too.
		lp, err := s.PickleLibolm([]byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		lback, err := ImportLibolmInbound([]byte("k"), lp)
		if err != nil || snapshot(lback) != snapshot(s) {
			t.Fatalf("libolm round trip: %v", err)
		}

		other := bytes.Repeat([]byte{8}, 32)
		_, err = UnpickleInbound(other, p)
		wantCode(t, "wrong key", err, errcode.WrongKey)
		_, err = UnpickleInbound(pickleKey, flip(p, 60))
		wantCode(t, "altered", err, errcode.WrongKey)
		_, err = UnpickleInbound(pickleKey, p[:20])
		wantCode(t, "truncated", err, errcode.BadPickle)
		_, err = UnpickleInbound(pickleKey, "*"+p[1:])
		wantCode(t, "not base64", err, errcode.BadPickle)
		_, err = UnpickleOutbound(pickleKey, p)
		wantCode(t, "inbound as outbound", err, errcode.WrongKey)
		_, err = UnpickleInbound(pickleKey[:16], p)
		wantCode(t, "short key", err, errcode.BadInput)
	}
}

func TestOutboundPickle(t *testing.T) {
	out := NewOutboundGroupSession()
	encryptN(t, out, 5)
	p, err := out.Pickle(pickleKey)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnpickleOutbound(pickleKey, p)
	if err != nil {
		t.Fatal(err)
	}
	if back.SessionID() != out.SessionID() || back.MessageIndex() != 5 || !back.CreatedAt().Equal(out.CreatedAt()) || back.signer.Seed() == nil {
		t.Fatal("round trip differs")
	}
	// Both continue identically (encryption is deterministic).
	a, _ := out.Encrypt([]byte("x"))
	b, _ := back.Encrypt([]byte("x"))
	if a != b {
		t.Fatal("unpickled session encrypts differently")
	}

	// Through libolm: the seed becomes the expanded key, the creation time is
	// lost, encryption is unchanged.
	lp, err := out.PickleLibolm([]byte(""))
	if err != nil {
		t.Fatal(err)
	}
	fromLibolm, err := ImportLibolmOutbound([]byte(""), lp)
	if err != nil {
		t.Fatal(err)
	}
	if fromLibolm.signer.Seed() != nil || !fromLibolm.CreatedAt().IsZero() || fromLibolm.SessionID() != out.SessionID() {
		t.Fatal("libolm import")
	}
	a, _ = out.Encrypt([]byte("y"))
	b, err = fromLibolm.Encrypt([]byte("y"))
	if err != nil || a != b {
		t.Fatalf("libolm-imported session encrypts differently: %v", err)
	}
	// Expanded-key sessions pickle in our format too.
	fromLibolm.SetCreatedAt(time.UnixMilli(1700000000000))
	p2, err := fromLibolm.Pickle(pickleKey)
	if err != nil {
		t.Fatal(err)
	}
	back2, err := UnpickleOutbound(pickleKey, p2)
	if err != nil || back2.signer.Seed() != nil || back2.CreatedAt().UnixMilli() != 1700000000000 {
		t.Fatalf("expanded round trip: %v", err)
	}
	a, _ = out.Encrypt([]byte("z"))
	b, _ = back2.Encrypt([]byte("z"))
	if a != b {
		t.Fatal("expanded round trip encrypts differently")
	}
	// The mismatched all-zero libolm session survives our pickle, still unable to sign.
	zero, _ := ImportLibolmOutbound(libolmKey, libolmOutbound)
	pz, _ := zero.Pickle(pickleKey)
	zback, err := UnpickleOutbound(pickleKey, pz)
	if err != nil {
		t.Fatal(err)
	}
	if lp, _ := zback.PickleLibolm(libolmKey); lp != libolmOutbound {
		t.Fatal("zero session changed through our pickle")
	}
	_, err = zback.Encrypt(nil)
	wantCode(t, "zero session encrypt", err, errcode.BadPickle)

	_, err = UnpickleOutbound(bytes.Repeat([]byte{8}, 32), p)
	wantCode(t, "wrong key", err, errcode.WrongKey)
	_, err = UnpickleInbound(pickleKey, p)
	wantCode(t, "outbound as inbound", err, errcode.WrongKey)
}

// Malformed plaintexts (which only someone with the key could produce) are
// BadPickle, never a panic.
func TestPickleDecoders(t *testing.T) {
	in := NewOutboundGroupSession().InboundSession()
	var good []byte
	{
		p, _ := in.Pickle(pickleKey)
		good = mustOpen(t, inboundLabel, p)
	}
	bad := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, pt := range map[string][]byte{
		"empty":          {},
		"version 2":      bad(func(b []byte) []byte { b[0] = 2; return b }),
		"short":          bad(func(b []byte) []byte { return b[:100] }),
		"long":           bad(func(b []byte) []byte { return append(b, 0) }),
		"flag 2":         bad(func(b []byte) []byte { b[len(b)-1] = 2; return b }),
		"latest < first": bad(func(b []byte) []byte { b[132] = 1; return b }),
	} {
		_, err := decodeInboundPickle(pt)
		wantCode(t, "inbound "+name, err, errcode.BadPickle)
	}

	out := NewOutboundGroupSession()
	p, _ := out.Pickle(pickleKey)
	good = mustOpen(t, outboundLabel, p)
	for name, pt := range map[string][]byte{
		"empty":       {},
		"version 0":   bad(func(b []byte) []byte { b[0] = 0; return b }),
		"short":       bad(func(b []byte) []byte { return b[:100] }),
		"key form 4":  bad(func(b []byte) []byte { b[133] = 4; return b }),
		"key form 2":  bad(func(b []byte) []byte { b[133] = 2; return b }),
		"long":        bad(func(b []byte) []byte { return append(b, 0) }),
		"time flag 2": bad(func(b []byte) []byte { b[len(b)-9] = 2; return b }),
	} {
		_, err := decodeOutboundPickle(pt)
		wantCode(t, "outbound "+name, err, errcode.BadPickle)
	}
}

func mustOpen(t *testing.T, label, p string) []byte {
	t.Helper()
	data, err := b64.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := open(pickleKey, label, b64.Encode(data))
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

func TestLibolmVersions(t *testing.T) {
	out := NewOutboundGroupSession()
	in := out.InboundSession()
	in.verified = false
	// Inbound version 1: no verified flag, read as verified.
	var w libolmpickle.Writer
	w.U32(1)
	writeLibolmRatchet(&w, &in.initial)
	writeLibolmRatchet(&w, &in.latest)
	w.Bytes(in.public[:])
	p, _ := libolmpickle.Encrypt(libolmKey, w.Raw())
	v1, err := ImportLibolmInbound(libolmKey, p)
	if err != nil || !v1.IsVerified() || v1.SessionID() != out.SessionID() {
		t.Fatalf("inbound v1: %v", err)
	}
	raw := append(w.Raw(), 1)
	for _, version := range []uint32{0, 3, 0xFFFFFFFF} {
		binary.BigEndian.PutUint32(raw, version)
		p, _ := libolmpickle.Encrypt(libolmKey, raw)
		_, err := ImportLibolmInbound(libolmKey, p)
		wantCode(t, "inbound version", err, errcode.BadPickle)
	}
	// A cached latest ratchet below the initial one is dropped.
	in.latest.counter = 0
	in.initial.counter = 5
	lp, _ := in.PickleLibolm(libolmKey)
	back, err := ImportLibolmInbound(libolmKey, lp)
	if err != nil || back.latest != back.initial {
		t.Fatalf("latest below initial: %v", err)
	}

	lo, _ := out.PickleLibolm(libolmKey)
	raw, _ = libolmpickle.Decrypt(libolmKey, lo)
	raw[3] = 2
	p, _ = libolmpickle.Encrypt(libolmKey, raw)
	_, err = ImportLibolmOutbound(libolmKey, p)
	wantCode(t, "outbound version 2", err, errcode.BadPickle)
	p, _ = libolmpickle.Encrypt(libolmKey, raw[:100])
	_, err = ImportLibolmOutbound(libolmKey, p)
	wantCode(t, "outbound truncated", err, errcode.BadPickle)
}

func TestExhaustedSession(t *testing.T) {
	out := NewOutboundGroupSession()
	out.ratchet.advanceTo(math.MaxUint32 - 1)
	if _, err := out.Encrypt([]byte("last")); err != nil {
		t.Fatal(err)
	}
	_, err := out.Encrypt([]byte("wrapped"))
	wantCode(t, "index 2^32-1", err, errcode.BadInput)
}
