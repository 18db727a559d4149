package backup_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/crypto/internal/vectors"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
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

const (
	// docs/vectors.md §1.1: Alice's key is the backup key of §5.1–§5.3.
	aliceHex         = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
	alicePubB64      = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo"
	aliceRecoveryKey = vectors.JSSDKRecoveryKey

	// §5.2 session id and room.
	sessionID52 = "o+21hSjP+mgEmcfdslPsQdvzWnkdt0Wyo00Kp++R8Kc"
	roomID52    = "!ROOM:ID"

	// §5.4 and §5.5 backup keys.
	mautrixKeyB64 = "ReSMMZeRtDSdrwXzu2OvN0B73KUXkYPt3kaYfFIkw10"
	rustKeyB64    = "Ha9cklU/9NqFo9WKdVfGzmqUL/9wlkdxfEitbSIPVXw"
)

// docs/vectors.md §5.2 (matrix-js-sdk backup.spec.ts CURVE25519_KEY_BACKUP_DATA).
var data52 = backup.EncryptedSessionData(vectors.JSSDKBackup)

// docs/vectors.md §5.3 (matrix-js-sdk crypto-test-data CURVE25519_KEY_BACKUP_DATA).
var data53 = backup.EncryptedSessionData{
	Ephemeral: "q+P1WdRtEiPIEtNuuGrRcueZxUbLnSKdsuTAkxewXgU",
	MAC:       "OibmACbORhI",
	Ciphertext: "r6HRk2/Im2yJe5cLP8R81aVjFWjYWPHpw7TVxphiSK1cdIDZTTK57r6MfU+0i/mTPn+/PosT74OvYwCnehy2dy" +
		"qqks+Ev+uBKw3TAo0HCv7W3Rmq9XtqxikG9ts7XtcjFEkx37+qRaXtikcu0+CmUf+I5X6KStwNXb+CPnN2CGgwpn8g5+" +
		"xEgSjE904QFrte4s9ygfqymgszgF7kzNICYF5g2GTlss8pdu/GLnh52AKvtT6FcqE5LC74N07BDWUycMHMMMw43F7z5G" +
		"hzEnoWOXlbz+M4eTGrCYuhvcmQGNbdgzYqEXPm1z4xFhVgs84kFCtNeUc+AHZWfC2zynZ++4tpmfCYYpYEfYwQNo9Ks7o" +
		"+Mh2PtAo9/GIU4xAK/uG0vizEiNYt/1QAxwgrmDxjdRe5TH4pPUtLMktRDyZKeUHJmYZA7pcLtpVatXhXmVEQLFLDc/uu" +
		"sxaBxFXYkx7BQnNRoa1BE1yXRxud94s6vMsI/auhn95TG58Z0Rz9psRT4HzgDKeHf/uVbdfKR9O3gqxlB4mzZAyTCqHhUQ" +
		"ERmGiISC2FeuKkAwVk/ZxXiFqSTUCizwXcczGbzEbC+pBJTi6jX5Pa2yI9cT5C8xaGGUzEaKdNWukcs73uvXoFl/5y0Y29" +
		"PkfE8UlPWpN4kZn7hrcOllcqqV9ZMH+rBbGViIw0yZ6yQUciEJzO8Gk3yz36lIT30VhCgKXMu+kELEPTRSVXqEQkCXBcfN" +
		"Ohgl3LIso",
}

// docs/vectors.md §3.3 MEGOLM_SESSION_DATA, the plaintext of §5.3.
const megolmSessionData33 = `{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!room:id",
 "sender_key":"WimPd2udAU/1S/+YBpPbmr9L+0H5H+BnAVHSwDxlPGc",
 "session_id":"ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co",
 "session_key":"AQAAAABXGO+Z9jlQJhIL6ByhXrv2BwCIxkhh7MXpKLsYmXkJcWrQlirmXmD79ga1zo+I4DCtEZzyGSpDWXBC6G7ez3H4gDMBam1RE3Jm5tc+oTlIri32UkYgSL0kBkcEnttqmIXBlK8tAfJo3cJnlh7F4ltEOAqrdME6dU0zXTkqXmURqYqXSOmbP+w8xUxIYgNohmjA3x5CGApXql0+i/uXtf3K",
 "sender_claimed_keys":{"ed25519":"Bhbpt6hqMZlSH4sJV7xiEEEiPVeTWz4Vkujl1EMdIPI"},
 "forwarding_curve25519_key_chain":[],"m.shared_history":true}`

// docs/vectors.md §5.4 (mautrix/go encryptedsessiondata_test.go).
var data54a = backup.EncryptedSessionData{
	Ephemeral: "o43y/Mck1DExWdHr0+qbPJbjzO97+RH1mw6phLhYQj0",
	MAC:       "Mnt8eXwFfjw",
	Ciphertext: "hDCjEbyi2uMXt3RBWe9mRdeqhcoraPR84/cq5ll16LIIIICJ8ZLmiWG5IwmGqDFmd3Jw20cNo49b38LH3oBJUl5DG44VdjoI" +
		"4nlgAzaMSLwMZ7JFGt0Enu1Csfgpvgt1qksTP6QB7YDwITD33iL7ucco1iOl7ABGzhyjCi2iZ3A6Xmx3RsAmHhmU5gJWE6/l" +
		"IoI6/lh7dZFSfp4RTGfxQ8ToCCIsrgdx1weViv4I4ArXfcrdnaprPzP4cH77Ej1Wg1/bUHtB4C8nOiX+cYnOG29NbTHbtQF1" +
		"4zJpA+2XM2JngiLkss+NQj96PQzgPNhAMEFOLLy5ckY1WvS4sMMeCVzAyt5dwEGDcyxLTC4oJ/RrvLcHCHW0aOygPSlNoMRy" +
		"DgC0f92+mPQGAmFv4GhfDFXfaauBxBdRAPjXj7Onn2B4UdfwQXGLT3RAihba8i9usOX5hLxqQqvtA3SUuV8hPrzHhpPEeRvx" +
		"+PgZsXwV+gM7Aw3Mza6hwmILdngJh7NNQTINsCRqff9Ck3Kh7aSOoHsHvz7Ot+T514ObDwWYYCBMmS/6EG4XjSya6R98ggRW" +
		"GrO9l21YYUvzBTv7OLtMck0Za3151Zqi/5LRKP95QIU",
}

var data54b = backup.EncryptedSessionData{
	Ephemeral: "24PxRUfQDyYNZcTq0HT8pS3Gq+zkfsAcXHFJ3nZ56W4",
	MAC:       "T7xq9qHm4Js",
	Ciphertext: "vdLkqNTijkM1L7HmbxdZs1EHygC7GFG0wPTAaLqpOCoir3K6tNYbjIJs36vzrwawdmfPxZvA9p/k3bZIhZDP7IivGYe69+4p" +
		"WiIzrwYkHCidigKXkYD8KxKWvakBquO9vWUssXC05xdkQjHMNJK3zSJgtkbMhoY28i1VUdmIjts4xU0cIT40F52Uyx3iu1Ur" +
		"qywUREEE5vhoSbeWxW3Vo5lqPi6rnyvMGZhVzAOv6re2O7wPWnSp0YJUsPaEj6Q9QpLr8BB9vJ++3kwmP5vxfjJLUsXuNEHW" +
		"IKP5QyhpmGCgwjNpjnU6VhCqBzqs2M/KKX8zxZMGTIRidc3gx2i8KtDwRHRzh3FsSJEaC0sfCfGijpH5g9Pa+2P6b1GxvGQ4" +
		"TF5X6ayLiV6FyNilpZ4z3kYsy63fP06uinHkX0TUClMQgLLmn0BAiOxKWtLNSLxgFdSYFm5oU/rpOBXWQKbzQ3cvlJZxBtxn" +
		"aAhJnt3+t/3pJahlKAOxrQbKZAPL/KbO4nF9dsHpMkfMs25pVLDoHLKEXSBhagEFDbPKL5Uv55kca1C1XGrx+8fYUDBRQtYS" +
		"LBSbAtF3UMv+hIMdRnmyQntwOy2hKRRs2UxnIlExk0Q",
}

const plain54a = `{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4",
"session_key":"AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E",
"sender_claimed_keys":{"ed25519":"R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4"},
"forwarding_curve25519_key_chain":[]}`

const plain54b = `{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4",
"session_key":"AQAAAAB6cP1PrdPeIG/B0ZRHNUc65ujvIzOxKhW1HN25efyZFaq9xsLvCngm4WO56gEuUhS16E4m0pAa9B/KyRz3AnSOVcHYh1bYxm9qf6zU5PFm255n6FR2lGN0vrgUM7Xu2GNUDCWoNI4m4QsiBor9eCj2ZJRay75dZ4nkhNf3GxBKOkhzPCreKabLxVsseGGIkq8rf01b0CWIcp5ISQISLdza",
"sender_claimed_keys":{"ed25519":"R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4"},
"forwarding_curve25519_key_chain":[]}`

// docs/vectors.md §5.5 (matrix-rust-sdk backups/keys/decryption.rs).
var data55 = backup.EncryptedSessionData{
	Ephemeral: "HlLi76oV6wxHz3PCqE/bxJi6yF1HnYz5Dq3T+d/KpRw",
	MAC:       "GtMrurhDTwo",
	Ciphertext: "MuM8E3Yc6TSAvhVGb77rQ++jE6p9dRepx63/3YPD2wACKAppkZHeFrnTH6wJ/HSyrmzo7HfwqVl6tKNpfooSTHqUf6x1LHz+" +
		"h4B/Id5ITO1WYt16AaI40LOnZqTkJZCfSPuE2oxalwEHnCS3biWybutcnrBFPR3LMtaeHvvkb+k3ny9l5ZpsU9G7vCm3XoeY" +
		"kWfLekWXvDhbqWrylXD0+CNUuaQJ/S527TzLd4XKctqVjjO/cCH7q+9utt9WJAfK8LGaWT/mZ3AeWjf5kiqOpKKf5Cn4n5SS" +
		"il5p/pvGYmjnURvZSEeQIzHgvunIBEPtzK/MYEPOXe/P5achNGlCx+5N19Ftyp9TFaTFlTWCTi0mpD7ePfCNISrwpozAz9HZ" +
		"c0OhA8+1aSc7rhYFIeAYXFU326NuFIFHI5pvpSxjzPQlOA+mavIKmiRAtjlLw11IVKTxgrdT4N8lXeMr4ndCSmvIkAzFMo1u" +
		"ZA4fzjiAdQJE4/2WeXFNNpvdfoYmX8Zl9CAYjpSO5HvpwkAbk4/iLEH3hDfCVUwDfMh05PdGLnxeRpiEFWSMSsJNp+OWAA+5" +
		"JsF41BoRGrxoXXT+VKqlUDONd+O296Psu8Q+d8/S618",
}

// The §5.2 plaintext as decrypted (the session of the §5.2 room event). The
// vector does not print it; the digest notes the legacy key name
// forwardingCurve25519KeyChain and the placeholder sender values.
const plain52 = `{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"SENDER_CURVE25519","sender_claimed_keys":{"ed25519":"SENDER_ED25519"},"forwardingCurve25519KeyChain":[],"session_key":"AQAAAAA+rPPVHcT/tDMBb6ffG42SvM8DKBjCiQfOhmd1GhMa5YE8i0FZDNuytN/1wk8F10oAW5Cqh7IZ3IUIEjaw6ExA1XZby9dyAgJ1rAjwFuN6b8+qhZUbaAeuL4SzMvOGdvYyI3aVsSPwPKoptWzBvy+N9wMR75o7E5RYDQPmd0/OoqPttYUoz/poBJnH3bJT7EHb81p5HbdFsqNNCqfvkfCn"}`

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
	key := testdecode.B64(t, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=")
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
	if _, err := backup.Encrypt("hSDwCYkwp1R0i33ctD73Wg2", []byte("{}")); errcode.Of(err) != errcode.BadInput {
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
			"ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co": record(t, 1, data53),
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
		"!ROOM:ID|" + sessionID52,
		"!room:id|badb64",
		"!room:id|ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co",
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
