package backupproxy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

const goodData = `{"ephemeral":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAA"}`

func keyJSON(fmi, fc, verified string) string {
	return `{"first_message_index":` + fmi + `,"forwarded_count":` + fc + `,"is_verified":` + verified + `,"session_data":` + goodData + `}`
}

func TestParseKeysBodyLevels(t *testing.T) {
	k := keyJSON("3", "1", "true")
	all, err := ParseKeysBody([]byte(`{"rooms":{"!b":{"sessions":{"s2":`+k+`,"s1":`+k+`}},"!a":{"sessions":{}}}}`), "", "")
	if err != nil || len(all) != 2 || all[0].SessionID != "s1" || all[1].RoomID != "!b" {
		t.Fatalf("all: %+v, %v", all, err)
	}
	room, err := ParseKeysBody([]byte(`{"sessions":{"s":`+k+`}}`), "!r", "")
	if err != nil || len(room) != 1 || room[0].RoomID != "!r" {
		t.Fatalf("room: %+v, %v", room, err)
	}
	one, err := ParseKeysBody([]byte(k), "!r", "s")
	if err != nil || len(one) != 1 || one[0].FirstMessageIndex != 3 || one[0].ForwardedCount != 1 || !one[0].IsVerified {
		t.Fatalf("session: %+v, %v", one, err)
	}
	if !bytes.Equal(one[0].SessionData, []byte(`{"ciphertext":"AAAAAAAAAAAAAAAAAAAAAA","ephemeral":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAA"}`)) {
		t.Fatalf("session_data not canonical: %s", one[0].SessionData)
	}
}

func TestParseKeysBodyErrors(t *testing.T) {
	cases := map[string]string{
		`{`:           ErrNotJSON,
		`[]`:          ErrBadJSON,
		`{"rooms":1}`: ErrBadJSON,
		`{"rooms":{"!r":{"sessions":{"s":` + keyJSON("-1", "0", "false") + `}}}}`:                                                          ErrBadJSON,
		`{"rooms":{"!r":{"sessions":{"s":` + keyJSON("4294967296", "0", "false") + `}}}}`:                                                  ErrBadJSON,
		`{"rooms":{"!r":{"sessions":{"s":` + keyJSON("1", "0", `"no"`) + `}}}}`:                                                            ErrBadJSON,
		`{"rooms":{"!r":{"sessions":{"s":` + strings.Replace(keyJSON("1", "0", "true"), `"mac":"AAAAAAAAAAA"`, `"mac":"AAAA"`, 1) + `}}}}`: ErrInvalidParam,
		`{"rooms":{"":{"sessions":{}}}}`: ErrInvalidParam,
	}
	for body, code := range cases {
		_, err := ParseKeysBody([]byte(body), "", "")
		if err == nil || err.Code != code || err.Status != 400 {
			t.Errorf("%s: %v; want %s", body, err, code)
		}
	}
}

func TestRowHash(t *testing.T) {
	r := KeyRow{RoomID: "!r", SessionID: "s", FirstMessageIndex: 1, SessionData: []byte(goodData)}
	h := r.Hash()
	if h < 0 || h >= 1<<52 {
		t.Fatalf("hash %d outside 52 bits", h)
	}
	if r.Hash() != h {
		t.Fatal("hash not stable")
	}
	for _, other := range []KeyRow{
		{RoomID: "!r", SessionID: "s", FirstMessageIndex: 2, SessionData: r.SessionData},
		{RoomID: "!r", SessionID: "s", FirstMessageIndex: 1, IsVerified: true, SessionData: r.SessionData},
		{RoomID: "!r", SessionID: "s", FirstMessageIndex: 1, ForwardedCount: 1, SessionData: r.SessionData},
		{RoomID: "!rs", SessionID: "", FirstMessageIndex: 1, SessionData: r.SessionData},
	} {
		if other.Hash() == h {
			t.Errorf("%+v hashes like %+v", other, r)
		}
	}
}

func TestUpsertStatementsChunks(t *testing.T) {
	rows := make([]KeyRow, 2500)
	for i := range rows {
		rows[i] = KeyRow{RoomID: "!r", SessionID: strings.Repeat("s", i%7+1), SessionData: []byte(goodData)}
	}
	stmts := upsertStatements("@u:hs", 1, rows)
	if len(stmts) != 3 {
		t.Fatalf("%d statements for 2,500 keys; want 3", len(stmts))
	}
	total := 0
	for _, s := range stmts {
		v, err := jsonvalue.Parse([]byte(s.Args[2].(string)))
		if err != nil {
			t.Fatal(err)
		}
		n := len(v.([]any))
		if n > maxKeysPerStatement {
			t.Fatalf("%d keys in one statement", n)
		}
		total += n
	}
	if total != 2500 {
		t.Fatalf("%d keys in statements", total)
	}
	big := make([]KeyRow, 40)
	for i := range big {
		big[i] = KeyRow{RoomID: "!r", SessionID: "s", SessionData: []byte(`"` + strings.Repeat("A", 100000) + `"`)}
	}
	for _, s := range upsertStatements("@u:hs", 1, big) {
		if len(s.Args[2].(string)) > maxBytesPerStatement {
			t.Fatalf("statement argument of %d bytes", len(s.Args[2].(string)))
		}
	}
}

func FuzzParseKeysBody(f *testing.F) {
	f.Add([]byte(`{"rooms":{"!r":{"sessions":{"s":`+keyJSON("0", "0", "false")+`}}}}`), "", "")
	f.Add([]byte(`{"sessions":{"s":`+keyJSON("1", "2", "true")+`}}`), "!r", "")
	f.Add([]byte(keyJSON("1", "2", "true")), "!r", "s")
	f.Add([]byte(`{"rooms":{"!r":{"sessions":{"s":{"first_message_index":1e3}}}}}`), "", "")
	f.Fuzz(func(t *testing.T, body []byte, room, session string) {
		if session != "" && room == "" {
			return
		}
		rows, err := ParseKeysBody(body, room, session)
		if err != nil {
			if err.Status != 400 && err.Status != 413 {
				t.Fatalf("status %d", err.Status)
			}
			if !jsonvalue.IsObject(err.JSON()) {
				t.Fatalf("error body not JSON: %s", err.JSON())
			}
			return
		}
		for _, r := range rows {
			if _, perr := parseSessionData(mustParse(t, r.SessionData), "x"); perr != nil {
				t.Fatalf("stored session_data does not validate again: %v", perr)
			}
			if r.FirstMessageIndex < 0 || r.ForwardedCount < 0 {
				t.Fatal("negative counter")
			}
		}
		for _, s := range upsertStatements("@u:hs", 1, rows) {
			if _, err := jsonvalue.Parse([]byte(s.Args[2].(string))); err != nil {
				t.Fatalf("statement argument is not JSON: %v", err)
			}
		}
	})
}

func mustParse(t *testing.T, b []byte) any {
	v, err := jsonvalue.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzParseVersionBody(f *testing.F) {
	f.Add([]byte(`{"algorithm":"m.megolm_backup.v1.curve25519-aes-sha2","auth_data":{"public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"version":"1"}`))
	f.Add([]byte(`{"algorithm":"x","auth_data":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		vb, err := ParseVersionBody(body)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			return
		}
		if vb.Algorithm != Algorithm || vb.AuthData == nil {
			t.Fatalf("accepted %+v", vb)
		}
	})
}
