package megolm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

func newPair(t *testing.T) (*OutboundGroupSession, *InboundGroupSession) {
	t.Helper()
	out := NewOutboundGroupSession()
	key, err := out.SessionKey()
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInboundGroupSession(key)
	if err != nil {
		t.Fatal(err)
	}
	return out, in
}

func encryptN(t *testing.T, out *OutboundGroupSession, n int) []string {
	t.Helper()
	msgs := make([]string, n)
	for i := range msgs {
		var err error
		if msgs[i], err = out.Encrypt([]byte(fmt.Sprintf("message %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	return msgs
}

func mustDecrypt(t *testing.T, in *InboundGroupSession, msg string, want uint32) {
	t.Helper()
	pt, idx, err := in.Decrypt(msg)
	if err != nil {
		t.Fatalf("decrypt index %d: %v", want, err)
	}
	if idx != want || string(pt) != fmt.Sprintf("message %d", want) {
		t.Fatalf("decrypt: %q at %d, want index %d", pt, idx, want)
	}
}

func TestRoundTripThousand(t *testing.T) {
	out, in := newPair(t)
	if in.SessionID() != out.SessionID() {
		t.Fatal("session ids differ")
	}
	msgs := encryptN(t, out, 1000)
	if out.MessageIndex() != 1000 {
		t.Fatalf("index %d", out.MessageIndex())
	}
	for i, m := range msgs {
		mustDecrypt(t, in, m, uint32(i))
	}
	// All of them out of order on a fresh copy, and a sample again on the
	// used one (whose latest ratchet is at 999, so these start from initial).
	key, _ := in.Export(0)
	fresh, err := ImportInboundGroupSession(key)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, i := range rng.Perm(len(msgs)) {
		mustDecrypt(t, fresh, msgs[i], uint32(i))
	}
	for _, i := range rng.Perm(len(msgs))[:100] {
		mustDecrypt(t, in, msgs[i], uint32(i))
	}
	if in.FirstKnownIndex() != 0 {
		t.Fatal("first known index moved")
	}
}

func TestShareAtLaterIndex(t *testing.T) {
	out := NewOutboundGroupSession()
	early := encryptN(t, out, 3)
	key, _ := out.SessionKey()
	if !strings.HasPrefix(key, "AgAAAA") || len(key) != 306 {
		t.Fatalf("session key at index 3: %s", key)
	}
	in, err := NewInboundGroupSession(key)
	if err != nil {
		t.Fatal(err)
	}
	if in.FirstKnownIndex() != 3 {
		t.Fatalf("first known %d", in.FirstKnownIndex())
	}
	for i, m := range early {
		_, _, err := in.Decrypt(m)
		wantCode(t, fmt.Sprintf("message %d before the shared index", i), err, errcode.UnknownMessageIndex)
	}
	late, _ := out.Encrypt([]byte("message 3"))
	mustDecrypt(t, in, late, 3)
	_, err = in.Export(2)
	wantCode(t, "export below first known", err, errcode.UnknownMessageIndex)
}

func TestExportAt500(t *testing.T) {
	out, in := newPair(t)
	msgs := encryptN(t, out, 1000)
	mustDecrypt(t, in, msgs[700], 700) // latest now 700: Export(500) must start from initial
	exp, err := in.Export(500)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := ImportInboundGroupSession(exp)
	if err != nil {
		t.Fatal(err)
	}
	if imp.FirstKnownIndex() != 500 || imp.SessionID() != out.SessionID() || imp.IsVerified() {
		t.Fatalf("imported: first %d id %s verified %v", imp.FirstKnownIndex(), imp.SessionID(), imp.IsVerified())
	}
	_, _, err = imp.Decrypt(msgs[499])
	wantCode(t, "index 499", err, errcode.UnknownMessageIndex)
	for _, i := range []int{999, 500, 750, 501, 998} {
		mustDecrypt(t, imp, msgs[i], uint32(i))
	}
	if !imp.IsVerified() {
		t.Fatal("not verified after decrypting")
	}
	// Export at a later index from the imported copy equals the original's.
	a, _ := imp.Export(900)
	b, _ := in.Export(900)
	if a != b {
		t.Fatal("exports at 900 differ")
	}
}

func TestFarIndexIsCheap(t *testing.T) {
	// A message at a huge index decrypts by jumping, not by stepping.
	out := NewOutboundGroupSession()
	key, _ := out.SessionKey()
	in, _ := NewInboundGroupSession(key)
	out.ratchet.advanceTo(0xFFFFFF00)
	msg, err := out.Encrypt([]byte("message 4294967040"))
	if err != nil {
		t.Fatal(err)
	}
	mustDecrypt(t, in, msg, 0xFFFFFF00)
}

// snapshot is everything a decryption could change.
func snapshot(s *InboundGroupSession) string {
	c := s.clone()
	return fmt.Sprintf("%x %d %x %d %x %v", c.initial.parts, c.initial.counter, c.latest.parts, c.latest.counter, c.public, c.verified)
}

// forge builds a message at index that is correctly signed by out's key but
// has the given ciphertext and, when badMAC is set, a wrong MAC. r0 is out's
// ratchet at index 0.
func forge(t *testing.T, out *OutboundGroupSession, r0 ratchet, index uint32, ciphertext []byte, badMAC bool) string {
	t.Helper()
	r := r0
	r.advanceTo(index)
	_, macKey, _ := r.messageKeys()
	body := appendMessageBody(nil, index, ciphertext)
	mac := messageMAC(macKey, body)
	if badMAC {
		mac[0] ^= 1
	}
	body = append(body, mac...)
	return b64.Encode(append(body, out.signer.Sign(body)...))
}

func TestTamperedMessages(t *testing.T) {
	out := NewOutboundGroupSession()
	r0 := out.ratchet
	key0, _ := out.SessionKey()
	msgs := encryptN(t, out, 3)
	signed, err := NewInboundGroupSession(key0)
	if err != nil {
		t.Fatal(err)
	}
	// An unverified copy, so a success would also flip the flag.
	exported, _ := signed.Export(0)
	in, err := ImportInboundGroupSession(exported)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := b64.Decode(msgs[1])
	mutate := func(f func([]byte)) string {
		b := append([]byte(nil), raw...)
		f(b)
		return b64.Encode(b)
	}
	// Ciphertext that decrypts to a block ending in 0x00: bad padding.
	r1 := r0
	r1.advanceTo(1)
	aesKey, _, iv := r1.messageKeys()
	ct, _ := aes256.EncryptCBC(aesKey, iv, make([]byte, 16))
	before := snapshot(in)
	cases := []struct {
		name string
		msg  string
		code errcode.Code
	}{
		{"empty", "", errcode.BadMessage},
		{"not base64", "!!!!", errcode.BadMessage},
		{"truncated", b64.Encode(raw[:40]), errcode.BadMessage},
		{"version 4", mutate(func(b []byte) { b[0] = 4 }), errcode.BadMessage},
		{"ciphertext bit", mutate(func(b []byte) { b[10] ^= 1 }), errcode.BadSignature},
		{"mac bit", mutate(func(b []byte) { b[len(b)-70] ^= 1 }), errcode.BadSignature},
		{"signature bit", mutate(func(b []byte) { b[len(b)-1] ^= 1 }), errcode.BadSignature},
		{"other session", encryptN(t, NewOutboundGroupSession(), 1)[0], errcode.BadSignature},
		{"signed, bad MAC", forge(t, out, r0, 1, raw[5:5+int(raw[4])], true), errcode.BadMAC},
		{"signed, MACed, bad padding", forge(t, out, r0, 1, ct[:16], false), errcode.BadMessage},
		{"signed, MACed, empty ciphertext", forge(t, out, r0, 1, nil, false), errcode.BadMessage},
		{"signed, MACed, ratchet of another index", forge(t, out, r0, 2, raw[5:5+int(raw[4])], false), errcode.BadMessage},
	}
	for _, c := range cases {
		_, _, err := in.Decrypt(c.msg)
		wantCode(t, c.name, err, c.code)
		if snapshot(in) != before {
			t.Fatalf("%s: failed decryption changed the session", c.name)
		}
	}
	mustDecrypt(t, in, msgs[1], 1)
	if snapshot(in) == before || !in.IsVerified() {
		t.Fatal("successful decryption did not update the session")
	}
	mustDecrypt(t, in, msgs[0], 0)
	mustDecrypt(t, in, msgs[2], 2)
	mustDecrypt(t, in, msgs[1], 1) // again: Megolm itself allows it
}

func TestTamperedSessionKeys(t *testing.T) {
	out := NewOutboundGroupSession()
	key, _ := out.SessionKey()
	in, _ := NewInboundGroupSession(key)
	exp, _ := in.Export(0)
	mutate := func(s string, f func([]byte) []byte) string {
		b, _ := b64.Decode(s)
		return b64.Encode(f(append([]byte(nil), b...)))
	}
	for _, c := range []struct {
		name string
		key  string
		code errcode.Code
	}{
		{"empty", "", errcode.BadInput},
		{"not base64", strings.Repeat("*", 306), errcode.BadBase64},
		{"impossible length", key[:305], errcode.BadBase64},
		{"truncated", mutate(key, func(b []byte) []byte { return b[:228] }), errcode.BadInput},
		{"extra byte", mutate(key, func(b []byte) []byte { return append(b, 0) }), errcode.BadInput},
		{"version 3", mutate(key, func(b []byte) []byte { b[0] = 3; return b }), errcode.BadInput},
		{"export format", exp, errcode.BadInput},
		{"index changed", mutate(key, func(b []byte) []byte { b[4] = 1; return b }), errcode.BadSignature},
		{"ratchet bit", mutate(key, func(b []byte) []byte { b[50] ^= 1; return b }), errcode.BadSignature},
		{"other public key", mutate(key, func(b []byte) []byte { b[140] ^= 1; return b }), errcode.BadSignature},
		{"signature bit", mutate(key, func(b []byte) []byte { b[228] ^= 1; return b }), errcode.BadSignature},
	} {
		_, err := NewInboundGroupSession(c.key)
		wantCode(t, "session key "+c.name, err, c.code)
	}
	if _, err := NewInboundGroupSession(key + "=="); err != nil {
		t.Fatalf("padded session key rejected: %v", err)
	}
	for _, c := range []struct {
		name string
		key  string
		code errcode.Code
	}{
		{"empty", "", errcode.BadInput},
		{"not base64", strings.Repeat("*", 220), errcode.BadBase64},
		{"truncated", mutate(exp, func(b []byte) []byte { return b[:164] }), errcode.BadInput},
		{"sharing format", key, errcode.BadInput},
		{"version 0", mutate(exp, func(b []byte) []byte { b[0] = 0; return b }), errcode.BadInput},
		{"zero public key", mutate(exp, func(b []byte) []byte { clear(b[133:]); return b }), errcode.BadInput},
		{"non-canonical public key", mutate(exp, func(b []byte) []byte {
			for i := 133; i < 165; i++ {
				b[i] = 0xFF
			}
			b[164] = 0x7F
			return b
		}), errcode.BadInput},
	} {
		_, err := ImportInboundGroupSession(c.key)
		wantCode(t, "exported key "+c.name, err, c.code)
	}
}

func TestOwnInboundSession(t *testing.T) {
	out := NewOutboundGroupSession()
	encryptN(t, out, 2)
	in := out.InboundSession()
	if in.FirstKnownIndex() != 2 || !in.IsVerified() || in.SessionID() != out.SessionID() {
		t.Fatal("InboundSession")
	}
	msg, _ := out.Encrypt([]byte("message 2"))
	mustDecrypt(t, in, msg, 2)
}
