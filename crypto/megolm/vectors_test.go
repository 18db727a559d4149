package megolm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// docs/vectors.md §3.1 (libolm tests/test_megolm.cpp).
var ratchetInit = []byte(strings.Repeat("0123456789ABCDEF", 8))

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
	const r3 = "ba9cd955741d1c162323ec825e7c5ce889bbb423a18f23828fb2090d6e2af86a"
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

	a.advanceTo(0x1000000)
	if a.counter != 0x1000000 {
		t.Fatalf("counter %#x", a.counter)
	}
	checkParts(t, "advance_to 0x1000000", &a,
		"54022d7dc0298e1637e21c97153092f933c056ff74fe1b922d971f2482c2859c",
		"7004c01ee49bd6efe0073525af9b1632c5be726d12349cc5bd472bdc2df6540f",
		"3112591194fda617e568c683101eaecd7eddd6de1fbc0767ae34da1a09a54eab",
		r3)
	a.advanceTo(0x1041506)
	if a.counter != 0x1041506 {
		t.Fatalf("counter %#x", a.counter)
	}
	checkParts(t, "advance_to 0x1041506", &a,
		"54022d7dc0298e1637e21c97153092f933c056ff74fe1b922d971f2482c2859c",
		"55588df5b7a48878428927868164589f3663447b51edc3595b036ca604c46dcd",
		"5c54850bfa98a1fd79a9df1cbe8fc5681937d30c85c8c31f7bb828816cf9ff3b",
		"956cbf807e65126a49558d45c84a2e4cd56f03e24416b98e1cfd97c206aa907a")

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
	random32 = []byte(strings.Repeat("0123456789ABDEF0123456789ABCDEF", 6))[:randomSize]

	sessionKey32 = join(
		"AgAAAAAwMTIzNDU2Nzg5QUJERUYwMTIzNDU2Nzg5QUJDREVGMDEyMzQ1Njc4OUFCREVGM",
		"DEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkRFRjAxMjM0NTY3ODlBQkNERUYwMTIzND",
		"U2Nzg5QUJERUYwMTIzNDU2Nzg5QUJDREVGMDEyMw0bdg1BDq4Px/slBow06q8n/B9WBfw",
		"WYyNOB8DlUmXGGwrFmaSb9bR/eY8xgERrxmP07hFmD9uqA2p8PMHdnV5ysmgufE6oLZ5+",
		"8/mWQOW3VVTnDIlnwd8oHUYRuk8TCQ")
	sessionID32 = "DRt2DUEOrg/H+yUGjDTqryf8H1YF/BZjI04HwOVSZcY"
	message32   = join(
		"AwgAEhAcbh6UpbByoyZxufQ+h2B+8XHMjhR69G8F4+qjMaFlnIXusJZX3r8LnRORG9T3D",
		"XFdbVuvIWrLyRfm4i8QRbe8VPwGRFG57B1CtmxanuP8bHtnnYqlwPsD")

	sessionKey32b = join(
		"AgAAAAAwMTIzNDU2Nzg5QUJERUYwMTIzNDU2Nzg5QUJDREVGMDEyMzQ1Njc4OUFCREVGM",
		"DEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkRFRjAxMjM0NTY3ODlBQkNERUYwMTIzND",
		"U2Nzg5QUJERUYwMTIzNDU2Nzg5QUJDREVGMDEyMztqJ7zOtqQtYqOo0CpvDXNlMhV3HeJ",
		"DpjrASKGLWdop4lx1cSN3Xv1TgfLPW8rhGiW+hHiMxd36nRuxscNv9k4oJA/KP+o0mi1w",
		"v44StrEJ1wwx9WZHBUIWkQbaBSuBDw")
	message32b = join(
		"AwgAEhAcbh6UpbByoyZxufQ+h2B+8XHMjhR69G8nP4pNZGl/3QMgrzCZPmP+F2aPLyKPz",
		"xRPBMUkeXRJ6Iqm5NeOdx2eERgTW7P20CM+lL3Xpk+ZUOOPvsSQNaAL")
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

// docs/vectors.md §3.3 (matrix-js-sdk crypto-test-data).
const (
	sessionKey33 = "AQAAAABXGO+Z9jlQJhIL6ByhXrv2BwCIxkhh7MXpKLsYmXkJcWrQlirmXmD79ga1zo+I4DCtEZzyGSpDWXBC6G7ez3H4gDMBam1RE3Jm5tc+oTlIri32UkYgSL0kBkcEnttqmIXBlK8tAfJo3cJnlh7F4ltEOAqrdME6dU0zXTkqXmURqYqXSOmbP+w8xUxIYgNohmjA3x5CGApXql0+i/uXtf3K"
	sessionID33  = "ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co"
	event33      = "AwgAEnAkBmciEAyhh1j6DCk29UXJ7kv/kvayUNfuNT0iAioLxcXjFXOZ5ho3jF1/wrytlt0Lb298uMM67O" +
		"xdVMi+/mMfYpwlvi07P9cIH6CMSj8tyhYoWl0SrKY6tkPf5GWOlRSRRKbziXa96FHXvnA3V2FCAIGtAe3G" +
		"4ei5RPbhkmKAFBLAen33/D6MjJVqU8Ojr5vTkgls5eyirarlVpsmnH06alDaxO8avrU0NL+Vsw26xvlUQg" +
		"EMOnUJ"
	plain33 = `{"content":{"body":"Hello world","msgtype":"m.text"},"room_id":"!room:id","type":"m.room.message"}`
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
	body := appendMessageBody(nil, 200, []byte("ciphertext"))
	if !bytes.Equal(body[:6], []byte{0x03, 0x08, 0xC8, 0x01, 0x12, 0x0A}) || string(body[6:]) != "ciphertext" {
		t.Fatalf("header % x", body)
	}
	if n := len(body) + macSize + signatureSize; n != 88 {
		t.Fatalf("length %d", n)
	}
	raw := append(append(append([]byte{}, body...), "hmacsha2"...), bytes.Repeat([]byte("ed25519signature"), 4)...)
	m, err := parseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.index != 200 || string(m.ciphertext) != "ciphertext" || string(m.mac) != "hmacsha2" || len(m.signature) != 64 {
		t.Fatalf("%+v", m)
	}
}

// docs/vectors.md §4.4 (mautrix/go goolm megolm_session_test.go): all-zero states.
var (
	libolmKey      = []byte("secret_key")
	libolmOutbound = join(
		"icDKYm0b4aO23WgUuOxdpPoxC0UlEOYPVeuduNH3IkpFsmnWx5KuEOpxGiZw5IuB/sSn2RZUCTiJ90IvgC7AClkYGHep9O8lp",
		"iqQX73XVKD9okZDCAkBc83eEq0DKYC7HBkGRAU/4T6QPIBBY3UK4QZwULLE/fLsi3j4YZBehMtnlsqgHK0q1bvX4cRznZItU",
		"O3TiOp5I+6PnQka6n8eHTyIEh3tCetilD+BKnHvtakE0eHHvG6pjEsMNN/vs7lkB5rV6XkoUKHLTE1dAfFunYEeHEZuKQpbG",
		"385dBwaMJXt4JrC0hU5jnv6jWNqAA0Ud9GxRDvkp04")
	libolmInbound = join(
		"1/IPCdtUoQxMba5XT7sjjUW0Hrs7no9duGFnhsEmxzFX2H3qtRc4eaFBRZYXxOBRTGZ6eMgy3IiSrgAQ1gUlSZf5Q4AVKeBk",
		"hvN4LZ6hdhQFv91mM+C2C55/4B9/gDjJEbDGiRgLoMqbWPDV+y0F4h0KaR1V1PiTCC7zCi4WdxJQ098nJLgDL4VSsDbnaLcS",
		"MO60FOYgRN4KsLaKUGkXiiUBWp4boFMCiuTTOiyH8XlH0e9uWc0vMLyGNUcO8kCbpAnx3v1JTIVan3WGsnGv4K8Qu4M8GAkZ",
		"ewpexrsb2BSNNeLclOV9/cR203Y5KlzXcpiWNXSs8XoB3TLEtHYMnjuakMQfyrcXKIQntg4xPD/+wvfqkcMg9i7pcplQh7X2",
		"OK5ylrMZQrZkJ1fAYBGbBz1tykWOjfrZ")
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
	if in.SessionID() != "o+21hSjP+mgEmcfdslPsQdvzWnkdt0Wyo00Kp++R8Kc" {
		t.Fatalf("session id %s", in.SessionID())
	}
	pt, idx, err := in.Decrypt("AwgAEjD+VwXZ7PoGPRS/H4kwpAsMp/g+WPvJVtPEKE8fmM9IcT/NCiwPb8PehecDKP0cjm1XO88k6Bw3D17aGiBHr5iB" +
		"oP7oSw8CXULXAMTkBlmkufRQq2+d0Giy1s4/Cg5n13jSVrSb2q7VTSv1ZHAFjUCsLSfR0gxqcQs")
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
	if string(ev.Content) != `"testytest"` || idx != 0 {
		t.Fatalf("plaintext %s, index %d", pt, idx)
	}
}

// randomTime is a fixed creation time for deterministic sessions.
var randomTime = time.UnixMilli(1700000000000)
