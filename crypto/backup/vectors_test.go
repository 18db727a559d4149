package backup_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// sameJSON reports whether two JSON texts have the same value.
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// The vectors of docs/vectors.md §5, from testdata/vectors/backup.json; the
// backup key of §5.1–§5.3 is Alice's key of §1.1 (x25519.json).
var (
	backupFile       = vectors.MustBackup()
	alice7748        = vectors.MustX25519().Keys["rfc7748_alice"]
	aliceHex         = hex.EncodeToString(alice7748.Private)
	alicePubB64      = alice7748.PublicB64
	aliceRecoveryKey = backupFile.RecoveryKeys[0].Text

	v52, v53 = backupFile.SessionData["jssdk_backup_spec"], backupFile.SessionData["jssdk_generated"]
	v54a     = backupFile.SessionData["mautrix_case1"]
	v54b     = backupFile.SessionData["mautrix_case2"]
	v55      = backupFile.SessionData["rust_sdk"]

	// §5.3's session id, from its plaintext.
	sessionID53 = func() string {
		var p struct {
			SessionID string `json:"session_id"`
		}
		if err := json.Unmarshal(v53.Plaintext, &p); err != nil {
			panic(err)
		}
		return p.SessionID
	}()

	// §5.2 session id and room.
	sessionID52 = v52.SessionID
	roomID52    = v52.RoomID

	// §5.4 and §5.5 backup keys.
	mautrixKeyB64 = base64.StdEncoding.EncodeToString(v54a.KeyB64)
	rustKeyB64    = base64.StdEncoding.EncodeToString(v55.KeyB64)

	data52, data53 = backup.EncryptedSessionData(v52.SessionData), backup.EncryptedSessionData(v53.SessionData)
	data54a        = backup.EncryptedSessionData(v54a.SessionData)
	data54b        = backup.EncryptedSessionData(v54b.SessionData)
	data55         = backup.EncryptedSessionData(v55.SessionData)

	// §5.3's plaintext is §3.3's MEGOLM_SESSION_DATA.
	megolmSessionData33 = string(v53.Plaintext)
	plain54a            = string(v54a.Plaintext)
	plain54b            = string(v54b.Plaintext)
	// The §5.2 plaintext as decrypted (the session of the §5.2 room event). The
	// vector does not print it; note the legacy key name
	// forwardingCurve25519KeyChain and the placeholder sender values.
	plain52 = string(v52.Plaintext)
)

func TestVector52(t *testing.T) {
	key, err := recoverykey.Decode(aliceRecoveryKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, testdecode.Hex(t, aliceHex)) {
		t.Fatalf("recovery key decodes to %x", key)
	}
	pub, err := backup.PublicKey(key)
	if err != nil || pub != alicePubB64 {
		t.Fatalf("PublicKey = %q, %v", pub, err)
	}
	pt, err := backup.Decrypt(key, data52)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Algorithm         string            `json:"algorithm"`
		SenderKey         string            `json:"sender_key"`
		SenderClaimedKeys map[string]string `json:"sender_claimed_keys"`
		LegacyChain       *[]string         `json:"forwardingCurve25519KeyChain"`
		SessionKey        string            `json:"session_key"`
	}
	if err := json.Unmarshal(pt, &got); err != nil {
		t.Fatalf("%s: %v", pt, err)
	}
	if got.Algorithm != "m.megolm.v1.aes-sha2" || got.SenderKey != "SENDER_CURVE25519" ||
		got.SenderClaimedKeys["ed25519"] != "SENDER_ED25519" ||
		got.LegacyChain == nil || len(*got.LegacyChain) != 0 ||
		!strings.HasPrefix(got.SessionKey, "AQAAAA") {
		t.Fatalf("unexpected session data %s", pt)
	}
	if !sameJSON(t, pt, []byte(plain52)) {
		t.Fatalf("got %s", pt)
	}
}

// §5.3: the generator encrypted the canonical JSON of §3.3, so the plaintext
// is exactly canonicaljson.Marshal of it.
func TestVector53(t *testing.T) {
	key := testdecode.B64(t, backupFile.KeyBase64[0].Base64) // §5.3 BACKUP_DECRYPTION_KEY_BASE64
	fromText, err := recoverykey.Decode(aliceRecoveryKey)
	if err != nil || !bytes.Equal(key, fromText) || !bytes.Equal(key, testdecode.Hex(t, aliceHex)) {
		t.Fatalf("§5.3 keys disagree: %x %x %v", key, fromText, err)
	}
	pt, err := backup.Decrypt(key, data53)
	if err != nil {
		t.Fatal(err)
	}
	want, err := canonicaljson.Marshal([]byte(megolmSessionData33))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pt, want) {
		t.Fatalf("got  %s\nwant %s", pt, want)
	}
}

func TestVector54(t *testing.T) {
	key := testdecode.B64(t, mautrixKeyB64)
	for i, v := range []struct {
		data  backup.EncryptedSessionData
		plain string
	}{{data54a, plain54a}, {data54b, plain54b}} {
		pt, err := backup.Decrypt(key, v.data)
		if err != nil {
			t.Fatalf("case %d: %v", i+1, err)
		}
		if !sameJSON(t, pt, []byte(v.plain)) {
			t.Fatalf("case %d: got %s", i+1, pt)
		}
	}
}

func TestVector55(t *testing.T) {
	pt, err := backup.Decrypt(testdecode.B64(t, rustKeyB64), data55)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(pt, &obj); err != nil {
		t.Fatalf("%s: %v", pt, err)
	}
	for _, field := range []string{"algorithm", "sender_key", "session_key", "sender_claimed_keys", "forwarding_curve25519_key_chain"} {
		if _, ok := obj[field]; !ok {
			t.Errorf("no %s in %s", field, pt)
		}
	}
}

// Each vector's data was made for one key only.
func TestVectorsWrongKey(t *testing.T) {
	alice := testdecode.Hex(t, aliceHex)
	mautrix := testdecode.B64(t, mautrixKeyB64)
	rust := testdecode.B64(t, rustKeyB64)
	for _, v := range []struct {
		key  []byte
		data backup.EncryptedSessionData
	}{{mautrix, data52}, {rust, data53}, {alice, data54a}, {alice, data55}} {
		if _, err := backup.Decrypt(v.key, v.data); errcode.Of(err) != errcode.WrongKey {
			t.Errorf("%s: %v", v.data.Ephemeral, err)
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	priv := pk.GenerateKey()
	pub, err := backup.PublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, pubText := range []string{pub, pub + "="} {
		m, err := backup.Encrypt(pubText, []byte(plain54a))
		if err != nil {
			t.Fatal(err)
		}
		pt, err := backup.Decrypt(priv, m)
		if err != nil || string(pt) != plain54a {
			t.Fatalf("got %s, %v", pt, err)
		}
	}
	for _, bad := range []string{"", "[]", "null", `"x"`, "{", "{} {}", "1"} {
		if _, err := backup.Encrypt(pub, []byte(bad)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Encrypt(%q): %v", bad, err)
		}
	}
	if _, err := backup.Encrypt(alicePubB64[:23], []byte("{}")); errcode.Of(err) != errcode.BadInput {
		t.Errorf("short public key: %v", err)
	}
	if _, err := backup.Encrypt("not base64!", []byte("{}")); errcode.Of(err) != errcode.BadBase64 {
		t.Errorf("bad public key: %v", err)
	}
	if _, err := backup.PublicKey(priv[:31]); errcode.Of(err) != errcode.BadInput {
		t.Errorf("PublicKey of 31 bytes: %v", err)
	}
}

// A plaintext that decrypts but is not a JSON object is BAD_MESSAGE.
func TestDecryptNotJSONObject(t *testing.T) {
	priv := pk.GenerateKey()
	pub, _ := pk.PublicKey(priv)
	for _, pt := range []string{"", "[]", "This is a test", `{"a":`, "null"} {
		m, err := pk.Encrypt(pub, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := backup.Decrypt(priv, m); errcode.Of(err) != errcode.BadMessage {
			t.Errorf("%q: %v", pt, err)
		}
	}
	// Leading whitespace before the object is fine.
	m, _ := pk.Encrypt(pub, []byte(" \n{}"))
	if _, err := backup.Decrypt(priv, m); err != nil {
		t.Errorf("whitespace before object: %v", err)
	}
}

func record(t testing.TB, index int, d backup.EncryptedSessionData) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(backup.KeyBackupData{FirstMessageIndex: index, SessionData: d})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roomKeysBody is a GET /room_keys/keys body holding the vectors: two
// sessions for Alice's key, one for another key, two damaged records.
func roomKeysBody(t testing.TB) []byte {
	badB64 := data53
	badB64.Ephemeral = "q+P1WdRtEiPIEtNuuGrRcueZxUbLnSKdsuTAkxewXg!"
	body := map[string]any{"rooms": map[string]any{
		roomID52: map[string]any{"sessions": map[string]any{
			sessionID52: record(t, 0, data52),
		}},
		"!room:id": map[string]any{"sessions": map[string]any{
			sessionID53: record(t, 1, data53),
			"mautrix":   record(t, 0, data54a),
			"notrecord": json.RawMessage(`[1,2,3]`),
			"badb64":    record(t, 0, badB64),
		}},
		"!empty:id": map[string]any{"sessions": map[string]any{}},
	}}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRoomKeys(t *testing.T) {
	entries, err := backup.ParseRoomKeys(roomKeysBody(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.RoomID+"|"+e.SessionID)
	}
	want := []string{
		roomID52 + "|" + sessionID52,
		"!room:id|badb64",
		"!room:id|" + sessionID53,
		"!room:id|mautrix",
		"!room:id|notrecord",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %q", got)
	}
	if entries[0].Err != nil || entries[0].Data.SessionData != data52 || entries[2].Data.FirstMessageIndex != 1 {
		t.Fatalf("entry 0: %+v", entries[0])
	}
	if errcode.Of(entries[4].Err) != errcode.BadInput {
		t.Fatalf("malformed record: %v", entries[4].Err)
	}
	for _, bad := range []string{"", "null", "[]", "{}", `{"rooms":null}`, `{"rooms":[]}`, `{"rooms":{"!r":[]}}`, "{", `"rooms"`} {
		if _, err := backup.ParseRoomKeys([]byte(bad)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("ParseRoomKeys(%q): %v", bad, err)
		}
	}
	entries, err = backup.ParseRoomKeys([]byte(`{"rooms":{}}`))
	if err != nil || len(entries) != 0 {
		t.Fatalf("empty rooms: %v, %v", entries, err)
	}
}

func TestDecryptMany(t *testing.T) {
	var calls [][2]int
	res, err := backup.DecryptMany(testdecode.Hex(t, aliceHex), roomKeysBody(t), func(done, total int) {
		calls = append(calls, [2]int{done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != 2 {
		t.Fatalf("sessions: %+v", res.Sessions)
	}
	s0, s1 := res.Sessions[0], res.Sessions[1]
	if s0.RoomID != roomID52 || s0.SessionID != sessionID52 || !sameJSON(t, s0.SessionData, []byte(plain52)) {
		t.Errorf("session 0: %s %s %s", s0.RoomID, s0.SessionID, s0.SessionData)
	}
	want53, _ := canonicaljson.Marshal([]byte(megolmSessionData33))
	if s1.RoomID != "!room:id" || !bytes.Equal(s1.SessionData, want53) {
		t.Errorf("session 1: %s %s %s", s1.RoomID, s1.SessionID, s1.SessionData)
	}
	wantFailures := []backup.Failure{
		{Entry: backup.Entry{RoomID: "!room:id", SessionID: "badb64"}, Code: errcode.BadBase64},
		{Entry: backup.Entry{RoomID: "!room:id", SessionID: "mautrix"}, Code: errcode.WrongKey},
		{Entry: backup.Entry{RoomID: "!room:id", SessionID: "notrecord"}, Code: errcode.BadInput},
	}
	if !reflect.DeepEqual(res.Failures, wantFailures) {
		t.Errorf("failures %+v", res.Failures)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{5, 5} {
		t.Errorf("progress calls %v", calls)
	}

	// Nothing to do: empty, never nil, slices.
	res, err = backup.DecryptMany(testdecode.Hex(t, aliceHex), []byte(`{"rooms":{}}`), nil)
	if err != nil || res.Sessions == nil || res.Failures == nil || len(res.Sessions)+len(res.Failures) != 0 {
		t.Fatalf("empty body: %+v, %v", res, err)
	}
	if _, err := backup.DecryptMany(testdecode.Hex(t, aliceHex)[:16], roomKeysBody(t), nil); errcode.Of(err) != errcode.BadInput {
		t.Errorf("short key: %v", err)
	}
	if _, err := backup.DecryptMany(testdecode.Hex(t, aliceHex), []byte("[]"), nil); errcode.Of(err) != errcode.BadInput {
		t.Errorf("bad body: %v", err)
	}
}

// Progress is reported every 256 entries and at the end.
func TestDecryptManyProgress(t *testing.T) {
	sessions := map[string]json.RawMessage{}
	for i := range 600 {
		sessions[strings.Repeat("s", 1+i%7)+string(rune('A'+i%26))+hex.EncodeToString([]byte{byte(i >> 8), byte(i)})] = json.RawMessage(`{}`)
	}
	body, _ := json.Marshal(map[string]any{"rooms": map[string]any{"!r": map[string]any{"sessions": sessions}}})
	var calls [][2]int
	res, err := backup.DecryptMany(testdecode.Hex(t, aliceHex), body, func(done, total int) {
		calls = append(calls, [2]int{done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 600 {
		t.Fatalf("%d failures", len(res.Failures))
	}
	if want := [][2]int{{256, 600}, {512, 600}, {600, 600}}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("progress %v", calls)
	}
}
