package device

import (
	"encoding/json"
	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
)

// Vectors from ../shared/spec/vectors.md; each names its section.

// §5.7: a key export file written by matrix-rust-sdk, passphrase "1234".
const rustSDKExport = `-----BEGIN MEGOLM SESSION DATA-----
Af7mGhlzQ+eGvHu93u0YXd3D/+vYMs3E7gQqOhuCtkvGAAAAASH7pEdWvFyAP1JUisAcpEo
Xke2Q7Kr9hVl/SCc6jXBNeJCZcrUbUV4D/tRQIl3E9L4fOk928YI1J+3z96qiH0uE7hpsCI
CkHKwjPU+0XTzFdIk1X8H7sZ+MD/2Sg/q3y8rtUjz7uEj4GUTnb+9SCOTVmJsRfqgUpM1CU
bDLytHf1JkohY4tWEgpsCc67xdzgodjr12qYrfg/zNm3LGpxlrffJknw4rk5QFTj4kMbqbD
ZZgDTni+HxRTDGge2J620lMOiznvXX+H09Rwruqx5aJvvaaKd86jWRpiO2oSFqHn4u5ONl9
41uzm62Sj0eIm6ZbA9NQs87jQw4LxsejhZVL+NdjIg80zVSBTWhTdo0DTnbFSNP4ReOiz0U
XosOF8A5T8Vdx2nvA0GXltfcHKVKQYh/LJAkNQ7P9UYL4ae/5TtQZkhB1KxCLTRWqADCl53
uBMGpG53EMgY6G6K2DEIOkcv7sdXQF5WpemiSWZqJRWj+cjfs9BpCTbkp/rszWFl2TniWpR
RqIbT2jORlN4rTvdtF0F4z1pqP4qWyR3sLNTkXm9CFRzWADNG0RDZKxbCoo6RPvtaCTfaHo
SwfvzBS6CjfAG+FOugpV48o7+XetaUUPZ6/tZSPhCdeV8eP9q5r0QwWeXFogzoNzWt4HYx9
MdXxzD+f0mtg5gzehrrEEARwI2bCvPpHxlt/Na9oW/GBpkjwR1LSKgg4CtpRyWngPjdEKpZ
GYW19pdjg0qdXNk/eqZsQTsNWVo6A
-----END MEGOLM SESSION DATA-----`

func TestVectorRustSDKKeyExport(t *testing.T) {
	plain, err := decryptExport(rustSDKExport, "1234")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(plain), `[{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!test:localhost",`) {
		t.Fatalf("plaintext starts %.80s", plain)
	}
	var list []map[string]any
	if err := json.Unmarshal(plain, &list); err != nil || len(list) == 0 {
		t.Fatalf("%d sessions, %v", len(list), err)
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	res, err := d.ImportRoomKeys(rustSDKExport, "1234", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != len(list) || res.Imported != len(list) || len(res.Failures) != 0 {
		t.Fatalf("%+v", res)
	}
	for _, s := range list {
		if _, found, err := d.st.GetInbound(s["room_id"].(string), s["session_id"].(string)); err != nil || !found {
			t.Fatalf("session %v not stored: %v", s["session_id"], err)
		}
	}
	_, err = d.ImportRoomKeys(rustSDKExport, "12345", nil)
	wantCode(t, err, errcode.BadMAC)
}

// §3.3: matrix-js-sdk's exported session and the event encrypted with it.
const (
	jsSDKSession = `{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!room:id",
 "sender_key":"WimPd2udAU/1S/+YBpPbmr9L+0H5H+BnAVHSwDxlPGc",
 "session_id":"ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co",
 "session_key":"AQAAAABXGO+Z9jlQJhIL6ByhXrv2BwCIxkhh7MXpKLsYmXkJcWrQlirmXmD79ga1zo+I4DCtEZzyGSpDWXBC6G7ez3H4gDMBam1RE3Jm5tc+oTlIri32UkYgSL0kBkcEnttqmIXBlK8tAfJo3cJnlh7F4ltEOAqrdME6dU0zXTkqXmURqYqXSOmbP+w8xUxIYgNohmjA3x5CGApXql0+i/uXtf3K",
 "sender_claimed_keys":{"ed25519":"Bhbpt6hqMZlSH4sJV7xiEEEiPVeTWz4Vkujl1EMdIPI"},
 "forwarding_curve25519_key_chain":[],"m.shared_history":true}`
	jsSDKCiphertext = "AwgAEnAkBmciEAyhh1j6DCk29UXJ7kv/kvayUNfuNT0iAioLxcXjFXOZ5ho3jF1/wrytlt0Lb298uMM67O" +
		"xdVMi+/mMfYpwlvi07P9cIH6CMSj8tyhYoWl0SrKY6tkPf5GWOlRSRRKbziXa96FHXvnA3V2FCAIGtAe3G" +
		"4ei5RPbhkmKAFBLAen33/D6MjJVqU8Ojr5vTkgls5eyirarlVpsmnH06alDaxO8avrU0NL+Vsw26xvlUQg" +
		"EMOnUJ"
	// §5.3: the same session as backup data for Alice's key.
	jsSDKBackupEphemeral  = "q+P1WdRtEiPIEtNuuGrRcueZxUbLnSKdsuTAkxewXgU"
	jsSDKBackupMAC        = "OibmACbORhI"
	jsSDKBackupCiphertext = "r6HRk2/Im2yJe5cLP8R81aVjFWjYWPHpw7TVxphiSK1cdIDZTTK57r6MfU+0i/mTPn+/PosT74OvYwCnehy2dy" +
		"qqks+Ev+uBKw3TAo0HCv7W3Rmq9XtqxikG9ts7XtcjFEkx37+qRaXtikcu0+CmUf+I5X6KStwNXb+CPnN2CGgwpn8g5+" +
		"xEgSjE904QFrte4s9ygfqymgszgF7kzNICYF5g2GTlss8pdu/GLnh52AKvtT6FcqE5LC74N07BDWUycMHMMMw43F7z5G" +
		"hzEnoWOXlbz+M4eTGrCYuhvcmQGNbdgzYqEXPm1z4xFhVgs84kFCtNeUc+AHZWfC2zynZ++4tpmfCYYpYEfYwQNo9Ks7o" +
		"+Mh2PtAo9/GIU4xAK/uG0vizEiNYt/1QAxwgrmDxjdRe5TH4pPUtLMktRDyZKeUHJmYZA7pcLtpVatXhXmVEQLFLDc/uu" +
		"sxaBxFXYkx7BQnNRoa1BE1yXRxud94s6vMsI/auhn95TG58Z0Rz9psRT4HzgDKeHf/uVbdfKR9O3gqxlB4mzZAyTCqHhUQ" +
		"ERmGiISC2FeuKkAwVk/ZxXiFqSTUCizwXcczGbzEbC+pBJTi6jX5Pa2yI9cT5C8xaGGUzEaKdNWukcs73uvXoFl/5y0Y29" +
		"PkfE8UlPWpN4kZn7hrcOllcqqV9ZMH+rBbGViIw0yZ6yQUciEJzO8Gk3yz36lIT30VhCgKXMu+kELEPTRSVXqEQkCXBcfN" +
		"Ohgl3LIso"
	jsSDKRecoveryKey   = "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d"
	jsSDKBackupPublic  = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo"
	jsSDKClearEventRaw = `{"body":"Hello world","msgtype":"m.text"}`
)

func jsSDKEvent(t *testing.T) []byte {
	return mustJSON(t, map[string]any{"event_id": "$js", "room_id": "!room:id", "content": map[string]any{
		"algorithm": "m.megolm.v1.aes-sha2", "session_id": "ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co",
		"sender_key": "WimPd2udAU/1S/+YBpPbmr9L+0H5H+BnAVHSwDxlPGc", "device_id": "TEST", "ciphertext": jsSDKCiphertext,
	}})
}

func TestVectorJSSDKExportedSessionDecryptsEvent(t *testing.T) {
	file, err := encryptExportPass([]byte("["+jsSDKSession+"]"), "x", 1)
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	res, err := d.ImportRoomKeys(file, "x", nil)
	if err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	re, err := d.DecryptRoomEvent("!room:id", jsSDKEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	if re.Type != "m.room.message" || string(re.Content) != jsSDKClearEventRaw || re.SenderEd25519 != "Bhbpt6hqMZlSH4sJV7xiEEEiPVeTWz4Vkujl1EMdIPI" {
		t.Fatalf("%+v %s", re, re.Content)
	}
	// Our export of it reads back as the same session, shared-history flag kept.
	out, err := d.ExportRoomKeys("y", 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := decryptExport(out, "y")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(plain, &list); err != nil || len(list) != 1 {
		t.Fatal(err)
	}
	var orig map[string]any
	json.Unmarshal([]byte(jsSDKSession), &orig)
	for _, k := range []string{"session_key", "session_id", "sender_key", "room_id", "m.shared_history"} {
		if list[0][k] != orig[k] {
			t.Fatalf("%s: %v, want %v", k, list[0][k], orig[k])
		}
	}
}

func TestVectorJSSDKBackupRestore(t *testing.T) {
	priv, err := recoverykey.Decode(jsSDKRecoveryKey)
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, map[string]any{"rooms": map[string]any{"!room:id": map[string]any{"sessions": map[string]any{
		"ipdI6Zs/7DzFTEhiA2iGaMDfHkIYCleqXT6L+5e1/co": map[string]any{
			"first_message_index": 1, "forwarded_count": 0, "is_verified": false,
			"session_data": map[string]any{"ephemeral": jsSDKBackupEphemeral, "mac": jsSDKBackupMAC, "ciphertext": jsSDKBackupCiphertext},
		},
	}}}})
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	if err := d.EnableBackup("1", jsSDKBackupPublic); err != nil {
		t.Fatal(err)
	}
	res, err := d.RestoreBackup(priv, body, nil)
	if err != nil || res.Imported != 1 || len(res.Failures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	re, err := d.DecryptRoomEvent("!room:id", jsSDKEvent(t))
	if err != nil || string(re.Content) != jsSDKClearEventRaw || !re.Imported {
		t.Fatalf("%+v %v", re, err)
	}
}

// §5.4: two backup entries written by mautrix-go, restored through the
// device (the session ids are not in the vector: they are the keys' ids).
func TestVectorMautrixBackupRestore(t *testing.T) {
	priv, err := b64.Decode("ReSMMZeRtDSdrwXzu2OvN0B73KUXkYPt3kaYfFIkw10")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := backup.PublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ ephemeral, mac, ciphertext, sessionKey string }{
		{"o43y/Mck1DExWdHr0+qbPJbjzO97+RH1mw6phLhYQj0", "Mnt8eXwFfjw",
			"hDCjEbyi2uMXt3RBWe9mRdeqhcoraPR84/cq5ll16LIIIICJ8ZLmiWG5IwmGqDFmd3Jw20cNo49b38LH3oBJUl5DG44VdjoI" +
				"4nlgAzaMSLwMZ7JFGt0Enu1Csfgpvgt1qksTP6QB7YDwITD33iL7ucco1iOl7ABGzhyjCi2iZ3A6Xmx3RsAmHhmU5gJWE6/l" +
				"IoI6/lh7dZFSfp4RTGfxQ8ToCCIsrgdx1weViv4I4ArXfcrdnaprPzP4cH77Ej1Wg1/bUHtB4C8nOiX+cYnOG29NbTHbtQF1" +
				"4zJpA+2XM2JngiLkss+NQj96PQzgPNhAMEFOLLy5ckY1WvS4sMMeCVzAyt5dwEGDcyxLTC4oJ/RrvLcHCHW0aOygPSlNoMRy" +
				"DgC0f92+mPQGAmFv4GhfDFXfaauBxBdRAPjXj7Onn2B4UdfwQXGLT3RAihba8i9usOX5hLxqQqvtA3SUuV8hPrzHhpPEeRvx" +
				"+PgZsXwV+gM7Aw3Mza6hwmILdngJh7NNQTINsCRqff9Ck3Kh7aSOoHsHvz7Ot+T514ObDwWYYCBMmS/6EG4XjSya6R98ggRW" +
				"GrO9l21YYUvzBTv7OLtMck0Za3151Zqi/5LRKP95QIU",
			"AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E"},
		{"24PxRUfQDyYNZcTq0HT8pS3Gq+zkfsAcXHFJ3nZ56W4", "T7xq9qHm4Js",
			"vdLkqNTijkM1L7HmbxdZs1EHygC7GFG0wPTAaLqpOCoir3K6tNYbjIJs36vzrwawdmfPxZvA9p/k3bZIhZDP7IivGYe69+4p" +
				"WiIzrwYkHCidigKXkYD8KxKWvakBquO9vWUssXC05xdkQjHMNJK3zSJgtkbMhoY28i1VUdmIjts4xU0cIT40F52Uyx3iu1Ur" +
				"qywUREEE5vhoSbeWxW3Vo5lqPi6rnyvMGZhVzAOv6re2O7wPWnSp0YJUsPaEj6Q9QpLr8BB9vJ++3kwmP5vxfjJLUsXuNEHW" +
				"IKP5QyhpmGCgwjNpjnU6VhCqBzqs2M/KKX8zxZMGTIRidc3gx2i8KtDwRHRzh3FsSJEaC0sfCfGijpH5g9Pa+2P6b1GxvGQ4" +
				"TF5X6ayLiV6FyNilpZ4z3kYsy63fP06uinHkX0TUClMQgLLmn0BAiOxKWtLNSLxgFdSYFm5oU/rpOBXWQKbzQ3cvlJZxBtxn" +
				"aAhJnt3+t/3pJahlKAOxrQbKZAPL/KbO4nF9dsHpMkfMs25pVLDoHLKEXSBhagEFDbPKL5Uv55kca1C1XGrx+8fYUDBRQtYS" +
				"LBSbAtF3UMv+hIMdRnmyQntwOy2hKRRs2UxnIlExk0Q",
			"AQAAAAB6cP1PrdPeIG/B0ZRHNUc65ujvIzOxKhW1HN25efyZFaq9xsLvCngm4WO56gEuUhS16E4m0pAa9B/KyRz3AnSOVcHYh1bYxm9qf6zU5PFm255n6FR2lGN0vrgUM7Xu2GNUDCWoNI4m4QsiBor9eCj2ZJRay75dZ4nkhNf3GxBKOkhzPCreKabLxVsseGGIkq8rf01b0CWIcp5ISQISLdza"},
	}
	sessions := map[string]any{}
	var ids []string
	for _, c := range cases {
		s, err := megolm.ImportInboundGroupSession(c.sessionKey)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.SessionID())
		sessions[s.SessionID()] = map[string]any{"first_message_index": 0, "forwarded_count": 0, "is_verified": false,
			"session_data": map[string]any{"ephemeral": c.ephemeral, "mac": c.mac, "ciphertext": c.ciphertext}}
	}
	d := newDevice(t, "@alice:example.org", "ALICE", newClock())
	if err := d.EnableBackup("1", pub); err != nil {
		t.Fatal(err)
	}
	const room = "!mautrix:example.org"
	res, err := d.RestoreBackup(priv, mustJSON(t, map[string]any{"rooms": map[string]any{room: map[string]any{"sessions": sessions}}}), nil)
	if err != nil || res.Imported != 2 || len(res.Failures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for i, id := range ids {
		fwd, err := d.ForwardRoomKey(room, id)
		if err != nil {
			t.Fatal(err)
		}
		got := unJSON(t, fwd)
		if got["session_key"] != cases[i].sessionKey || got["sender_key"] != "JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4" || got["sender_claimed_ed25519_key"] != "R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4" {
			t.Fatalf("session %d stored as %s", i, fwd)
		}
	}
}
