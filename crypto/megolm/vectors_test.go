package megolm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// The Megolm vectors of docs/vectors.md, from testdata/vectors/megolm.json.
var megolmFile = vectors.MustMegolm()

// docs/vectors.md §3.1 (libolm tests/test_megolm.cpp).
var (
	ratchetInit  = []byte(megolmFile.Ratchet.Initial)
	ratchetSteps = megolmFile.Ratchet.Steps
)

// hexParts is the expected parts of a ratchet step as hex strings.
func hexParts(parts []vectors.Hex) (out []string) {
	for _, p := range parts {
		out = append(out, hex.EncodeToString(p))
	}
	return out
}

func checkParts(t *testing.T, what string, r *ratchet, want ...string) {
	t.Helper()
	for k, w := range want {
		if got := hex.EncodeToString(r.parts[k][:]); got != w {
			t.Errorf("%s: R%d = %s, want %s", what, k, got, w)
		}
	}
}

func TestVectorRatchet(t *testing.T) {
	init := newRatchet(ratchetInit, 0)
	a := init
	a.advance()
	b := init
	b.advanceTo(1)
	r3 := hex.EncodeToString(ratchetSteps[0].R3)
	for _, r := range []*ratchet{&a, &b} {
		if r.counter != 1 {
			t.Fatalf("counter %d", r.counter)
		}
		for k := 0; k < 3; k++ {
			if r.parts[k] != init.parts[k] {
				t.Errorf("R%d changed on one step", k)
			}
		}
		checkParts(t, "advance 1", r, hex.EncodeToString(init.parts[0][:]), hex.EncodeToString(init.parts[1][:]), hex.EncodeToString(init.parts[2][:]), r3)
	}

	// advance_to 0x1000000, then 0x1041506.
	if len(ratchetSteps) != 3 {
		t.Fatalf("%d ratchet steps in megolm.json", len(ratchetSteps))
	}
	for _, step := range ratchetSteps[1:] {
		a.advanceTo(step.AdvanceTo)
		if a.counter != step.AdvanceTo {
			t.Fatalf("counter %#x", a.counter)
		}
		checkParts(t, fmt.Sprintf("advance_to %#x", step.AdvanceTo), &a, hexParts(step.Parts)...)
	}

	// Wrap-around properties.
	x, y := newRatchet(ratchetInit, 0xffffffff), newRatchet(ratchetInit, 0)
	x.advanceTo(0x1000000)
	y.advanceTo(0x2000000)
	if x.parts != y.parts {
		t.Error("0xffffffff→0x1000000 differs from 0→0x2000000")
	}
	x, y = newRatchet(ratchetInit, 0xffffffff), newRatchet(ratchetInit, 0xffffffff)
	x.advanceTo(0)
	y.advance()
	if !x.equal(&y) || x.counter != 0 {
		t.Error("0xffffffff→0 differs from one advance")
	}
	x, y = newRatchet(ratchetInit, 1), newRatchet(ratchetInit, 1)
	x.advanceTo(0x80000000)
	x.advanceTo(0)
	y.advanceTo(0)
	if !x.equal(&y) {
		t.Error("1→0x80000000→0 differs from 1→0")
	}
}

// docs/vectors.md §3.2 (libolm tests/test_group_session.cpp).
var (
	random32      = []byte(megolmFile.GroupSession.Random)[:randomSize]
	sessionKey32  = megolmFile.GroupSession.SessionKey
	sessionID32   = megolmFile.GroupSession.SessionID
	message32     = megolmFile.GroupSession.Message
	sessionKey32b = megolmFile.OtherSigningKey.SessionKey
	message32b    = megolmFile.OtherSigningKey.Message
)

func TestVectorOutbound(t *testing.T) {
	out, err := newOutboundFromRandom(random32, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out.SessionID() != sessionID32 || out.MessageIndex() != 0 {
		t.Fatalf("session id %s index %d", out.SessionID(), out.MessageIndex())
	}
	key, err := out.SessionKey()
	if err != nil || key != sessionKey32 {
		t.Fatalf("session key %s, %v", key, err)
	}
	msg, err := out.Encrypt([]byte("Message"))
	if err != nil || msg != message32 {
		t.Fatalf("message %s, %v", msg, err)
	}
	if out.MessageIndex() != 1 {
		t.Fatalf("index after encrypt %d", out.MessageIndex())
	}

	in, err := NewInboundGroupSession(sessionKey32)
	if err != nil {
		t.Fatal(err)
	}
	if in.SessionID() != sessionID32 || in.SigningKey() != sessionID32 || in.FirstKnownIndex() != 0 || !in.IsVerified() {
		t.Fatalf("inbound %s %d %v", in.SessionID(), in.FirstKnownIndex(), in.IsVerified())
	}
	pt, idx, err := in.Decrypt(message32)
	if err != nil || string(pt) != "Message" || idx != 0 {
		t.Fatalf("decrypt %q %d %v", pt, idx, err)
	}

	// Export at 0, import: unverified until a message decrypts.
	exp, err := in.Export(0)
	if err != nil || !strings.HasPrefix(exp, "AQAAAAA") || len(exp) != 220 {
		t.Fatalf("export %s %v", exp, err)
	}
	imp, err := ImportInboundGroupSession(exp)
	if err != nil {
		t.Fatal(err)
	}
	if imp.IsVerified() {
		t.Fatal("imported session is verified before any decryption")
	}
	if pt, _, err := imp.Decrypt(message32); err != nil || string(pt) != "Message" {
		t.Fatalf("imported decrypt %q %v", pt, err)
	}
	if !imp.IsVerified() {
		t.Fatal("imported session not verified after decryption")
	}

	// Second pair: same ratchet, another signing key.
	in2, err := NewInboundGroupSession(sessionKey32b)
	if err != nil {
		t.Fatal(err)
	}
	if pt, _, err := in2.Decrypt(message32b); err != nil || string(pt) != "Message" {
		t.Fatalf("second pair %q %v", pt, err)
	}
	_, _, err = in2.Decrypt(message32b[:len(message32b)-1] + "E")
	wantCode(t, "last character changed", err, errcode.BadSignature)
	_, _, err = in2.Decrypt(message32)
	wantCode(t, "message of the other session", err, errcode.BadSignature)
}

// docs/vectors.md §3.3 (matrix-js-sdk crypto-test-data): the session is §5.3's
// backed-up plaintext (backup.json), the event in megolm.json.
var (
	sessionKey33, sessionID33 = megolmFile.ExportedSessionData()
	event33                   = megolmFile.ExportedSession.EventCiphertext
	plain33                   = megolmFile.ExportedSession.EventPlaintext
)

func TestVectorExportedSession(t *testing.T) {
	in, err := ImportInboundGroupSession(sessionKey33)
	if err != nil {
		t.Fatal(err)
	}
	if in.SessionID() != sessionID33 || in.FirstKnownIndex() != 0 {
		t.Fatalf("%s %d", in.SessionID(), in.FirstKnownIndex())
	}
	pt, idx, err := in.Decrypt(event33)
	if err != nil || string(pt) != plain33 || idx != 0 {
		t.Fatalf("%q %d %v", pt, idx, err)
	}
	// Exporting again at the same index reproduces the key.
	if exp, err := in.Export(0); err != nil || exp != sessionKey33 {
		t.Fatalf("re-export %s %v", exp, err)
	}
	// The whole MEGOLM_SESSION_DATA object as an m.forwarded_room_key-like
	// content is not valid (it uses sender_claimed_keys); the session key is.
	_, err = NewInboundGroupSession(sessionKey33)
	wantCode(t, "v1 key as v2", err, errcode.BadInput)
}

// docs/vectors.md §3.4 (libolm tests/test_message.cpp).
func TestVectorMessageHeader(t *testing.T) {
	v := megolmFile.MessageHeader
	body := appendMessageBody(nil, v.Index, []byte(v.Ciphertext))
	if !bytes.Equal(body[:len(v.Header)], v.Header) || string(body[len(v.Header):]) != v.Ciphertext {
		t.Fatalf("header % x", body)
	}
	if n := len(body) + macSize + signatureSize; n != v.Length {
		t.Fatalf("length %d", n)
	}
	raw := append(append(append([]byte{}, body...), v.MAC...), bytes.Repeat([]byte("ed25519signature"), 4)...)
	m, err := parseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.index != v.Index || string(m.ciphertext) != v.Ciphertext || string(m.mac) != v.MAC || len(m.signature) != 64 {
		t.Fatalf("%+v", m)
	}
}

// docs/vectors.md §4.4 (mautrix/go goolm megolm_session_test.go): all-zero states.
var (
	libolmKey      = []byte(megolmFile.LibolmPickles.Key)
	libolmOutbound = megolmFile.LibolmPickles.Outbound
	libolmInbound  = megolmFile.LibolmPickles.Inbound
)

func TestVectorLibolmPickles(t *testing.T) {
	out, err := ImportLibolmOutbound(libolmKey, libolmOutbound)
	if err != nil {
		t.Fatal(err)
	}
	if out.MessageIndex() != 0 || out.SessionID() != strings.Repeat("A", 43) || !out.CreatedAt().IsZero() {
		t.Fatalf("outbound %d %s %v", out.MessageIndex(), out.SessionID(), out.CreatedAt())
	}
	if p, err := out.PickleLibolm(libolmKey); err != nil || p != libolmOutbound {
		t.Fatalf("outbound re-pickle differs: %v\n%s", err, p)
	}
	// Its all-zero "key pair" does not match, so it must refuse to sign.
	_, err = out.Encrypt([]byte("x"))
	wantCode(t, "encrypt with mismatched key", err, errcode.BadPickle)
	_, err = out.SessionKey()
	wantCode(t, "session key with mismatched key", err, errcode.BadPickle)
	if !out.NeedsRotation(RotationPolicy{}, time.Now()) {
		t.Error("session of unknown age does not need rotation")
	}
	_, err = ImportLibolmOutbound(libolmKey, libolmOutbound[:len(libolmOutbound)-3]+"AAA")
	wantCode(t, "outbound last 3 chars changed", err, errcode.WrongKey)
	_, err = ImportLibolmOutbound([]byte("other"), libolmOutbound)
	wantCode(t, "outbound wrong key", err, errcode.WrongKey)
	_, err = ImportLibolmInbound(libolmKey, libolmOutbound)
	wantCode(t, "outbound pickle as inbound", err, errcode.BadPickle)

	in, err := ImportLibolmInbound(libolmKey, libolmInbound)
	if err != nil {
		t.Fatal(err)
	}
	if in.FirstKnownIndex() != 0 || in.IsVerified() || in.SessionID() != strings.Repeat("A", 43) {
		t.Fatalf("inbound %d %v %s", in.FirstKnownIndex(), in.IsVerified(), in.SessionID())
	}
	if p, err := in.PickleLibolm(libolmKey); err != nil || p != libolmInbound {
		t.Fatalf("inbound re-pickle differs: %v\n%s", err, p)
	}
	_, err = ImportLibolmInbound(libolmKey, libolmInbound+"a")
	wantCode(t, "inbound with a character appended", err, errcode.BadPickle)
	_, err = ImportLibolmOutbound(libolmKey, libolmInbound)
	wantCode(t, "inbound pickle as outbound", err, errcode.BadPickle)
}

// docs/vectors.md §5.2 (matrix-js-sdk backup.spec.ts): a backed-up session,
// decrypted with the recovery key, decrypts the room event.
func TestVectorBackupEvent(t *testing.T) {
	key, err := recoverykey.Decode(vectors.JSSDKRecoveryKey(t))
	if err != nil {
		t.Fatal(err)
	}
	data, err := backup.Decrypt(key, backup.EncryptedSessionData(vectors.JSSDKBackup(t)))
	if err != nil {
		t.Fatal(err)
	}
	var sd struct {
		SessionKey string `json:"session_key"`
	}
	if err := json.Unmarshal(data, &sd); err != nil {
		t.Fatal(err)
	}
	in, err := ImportInboundGroupSession(sd.SessionKey)
	if err != nil {
		t.Fatal(err)
	}
	v := vectors.BackupVectorNamed(t, "jssdk_backup_spec")
	if in.SessionID() != v.SessionID {
		t.Fatalf("session id %s", in.SessionID())
	}
	pt, idx, err := in.Decrypt(v.EventCiphertext)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Content json.RawMessage `json:"content"`
		RoomID  string          `json:"room_id"`
	}
	if err := json.Unmarshal(pt, &ev); err != nil {
		t.Fatalf("%s: %v", pt, err)
	}
	if want, _ := json.Marshal(v.EventContent); string(ev.Content) != string(want) || idx != 0 {
		t.Fatalf("plaintext %s, index %d", pt, idx)
	}
}

// randomTime is a fixed creation time for deterministic sessions.
var randomTime = time.UnixMilli(1700000000000)
