package backup_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/errcode"
)

func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && errcode.Of(err) == errcode.Internal {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

func isJSONObject(b []byte) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(b, &obj) == nil && obj != nil
}

// FuzzDecrypt: arbitrary key and session_data fields. No panics, coded
// errors, and what decrypts is a JSON object. DecryptShared gets the key bytes
// as a shared secret.
func FuzzDecrypt(f *testing.F) {
	alice, _ := hex.DecodeString(aliceHex)
	mautrix, _ := base64.RawStdEncoding.DecodeString(mautrixKeyB64)
	rust, _ := base64.RawStdEncoding.DecodeString(rustKeyB64)
	for _, v := range []struct {
		key []byte
		d   backup.EncryptedSessionData
	}{{alice, data52}, {alice, data53}, {mautrix, data54a}, {mautrix, data54b}, {rust, data55}, {alice, data55}} {
		f.Add(v.key, v.d.Ciphertext, v.d.Ephemeral, v.d.MAC)
	}
	f.Add(alice, data53.Ciphertext[:64], data53.Ephemeral, data53.MAC)
	f.Add([]byte{}, "", "", "")
	f.Fuzz(func(t *testing.T, key []byte, ciphertext, ephemeral, mac string) {
		m := backup.EncryptedSessionData{Ciphertext: ciphertext, Ephemeral: ephemeral, MAC: mac}
		pt, err := backup.Decrypt(key, m)
		checkErr(t, "Decrypt", err)
		if err == nil && !isJSONObject(pt) {
			t.Fatalf("Decrypt returned %q, not a JSON object", pt)
		}
		pt, err = backup.DecryptShared(key, m)
		checkErr(t, "DecryptShared", err)
		if err == nil && !isJSONObject(pt) {
			t.Fatalf("DecryptShared returned %q, not a JSON object", pt)
		}
	})
}

func roomKeysSeeds(f *testing.F) [][]byte {
	return [][]byte{
		roomKeysBody(f),
		[]byte(`{"rooms":{}}`),
		[]byte(`{"rooms":{"!r":{"sessions":{"s":{}}}}}`),
		[]byte(`{"rooms":{"!r":{"sessions":{"s":null,"t":[],"u":{"session_data":5}}}}}`),
		[]byte(`{"rooms":{"!r":{}, "!s":null}}`),
		[]byte(`{"rooms":{"!r":{"sessions":{"a":{"first_message_index":1.5}}}}}`),
		[]byte(`{"rooms":null}`),
		[]byte(`[]`),
		[]byte(``),
	}
}

// FuzzParseRoomKeys: arbitrary bodies. No panics; a rejected body is
// BAD_INPUT; entries come sorted by room then session; per-entry errors are
// BAD_INPUT.
func FuzzParseRoomKeys(f *testing.F) {
	for _, b := range roomKeysSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := backup.ParseRoomKeys(body)
		if err != nil {
			if errcode.Of(err) != errcode.BadInput {
				t.Fatalf("code %s: %v", errcode.Of(err), err)
			}
			return
		}
		sorted := slices.IsSortedFunc(entries, func(a, b backup.Pending) int {
			if c := strings.Compare(a.RoomID, b.RoomID); c != 0 {
				return c
			}
			return strings.Compare(a.SessionID, b.SessionID)
		})
		if !sorted {
			t.Fatal("entries not sorted")
		}
		for _, e := range entries {
			if e.Err != nil && errcode.Of(e.Err) != errcode.BadInput {
				t.Fatalf("entry %s/%s: %v", e.RoomID, e.SessionID, e.Err)
			}
		}
	})
}

// FuzzDecryptMany: arbitrary key and body. No panics; coded errors; every
// parsed entry ends up exactly once as a session (a JSON object) or as a
// failure with a real code; progress ends at (n, n).
func FuzzDecryptMany(f *testing.F) {
	alice, _ := hex.DecodeString(aliceHex)
	mautrix, _ := base64.RawStdEncoding.DecodeString(mautrixKeyB64)
	for _, b := range roomKeysSeeds(f) {
		f.Add(alice, b)
	}
	f.Add(mautrix, roomKeysBody(f))
	f.Add([]byte{1, 2, 3}, roomKeysBody(f))
	f.Fuzz(func(t *testing.T, key, body []byte) {
		last := [2]int{-1, -1}
		res, err := backup.DecryptMany(key, body, func(done, total int) { last = [2]int{done, total} })
		checkErr(t, "DecryptMany", err)
		if err != nil {
			return
		}
		entries, err := backup.ParseRoomKeys(body)
		if err != nil {
			t.Fatalf("DecryptMany accepted a body ParseRoomKeys rejects: %v", err)
		}
		n := len(entries)
		if len(res.Sessions)+len(res.Failures) != n {
			t.Fatalf("%d entries, %d sessions + %d failures", n, len(res.Sessions), len(res.Failures))
		}
		if n > 0 && last != [2]int{n, n} {
			t.Fatalf("last progress %v for %d entries", last, n)
		}
		for _, s := range res.Sessions {
			if !isJSONObject(s.SessionData) {
				t.Fatalf("session %s/%s: %q is not a JSON object", s.RoomID, s.SessionID, s.SessionData)
			}
		}
		for _, fl := range res.Failures {
			if fl.Code == "" || fl.Code == errcode.Internal {
				t.Fatalf("failure %s/%s has code %q", fl.RoomID, fl.SessionID, fl.Code)
			}
		}
	})
}
