package megolm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

const (
	curveKey = "WimPd2udAU/1S/+YBpPbmr9L+0H5H+BnAVHSwDxlPGc"
	edKey    = "Bhbpt6hqMZlSH4sJV7xiEEEiPVeTWz4Vkujl1EMdIPI"
)

func TestRoomKeyRoundTrip(t *testing.T) {
	out := NewOutboundGroupSession()
	encryptN(t, out, 2)
	content, err := out.RoomKeyContent("!room:example.org", true)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(content, &obj); err != nil {
		t.Fatal(err)
	}
	key, _ := out.SessionKey()
	want := map[string]any{
		"algorithm": Algorithm, "room_id": "!room:example.org", "session_id": out.SessionID(),
		"session_key": key, "shared_history": true, "m.shared_history": true,
	}
	if len(obj) != len(want) {
		t.Fatalf("content %s", content)
	}
	for k, v := range want {
		if obj[k] != v {
			t.Fatalf("content %s: %s = %v", content, k, obj[k])
		}
	}
	rk, err := ParseRoomKey(content, curveKey+"=", edKey)
	if err != nil {
		t.Fatal(err)
	}
	if rk.RoomID != "!room:example.org" || rk.SessionID != out.SessionID() || rk.SenderKey != curveKey ||
		rk.SenderClaimedEd25519Key != edKey || rk.ForwardingCurve25519KeyChain != nil || !rk.SharedHistory ||
		rk.Forwarded || rk.Session.FirstKnownIndex() != 2 || !rk.Session.IsVerified() {
		t.Fatalf("%+v", rk)
	}
	msg, _ := out.Encrypt([]byte("message 2"))
	mustDecrypt(t, rk.Session, msg, 2)

	content, _ = out.RoomKeyContent("!room:example.org", false)
	if rk, err := ParseRoomKey(content, curveKey, edKey); err != nil || rk.SharedHistory {
		t.Fatalf("shared_history false: %v", err)
	}
	_, err = out.RoomKeyContent("room", false)
	wantCode(t, "bad room id", err, errcode.BadInput)
}

// The forwarded form of docs/vectors.md §3.3's session.
func forwardedContent(edit func(m map[string]any)) []byte {
	m := map[string]any{
		"algorithm":                       Algorithm,
		"room_id":                         "!room:id",
		"sender_key":                      curveKey,
		"session_id":                      sessionID33,
		"session_key":                     sessionKey33,
		"sender_claimed_ed25519_key":      edKey,
		"forwarding_curve25519_key_chain": []string{},
	}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParseForwardedRoomKey(t *testing.T) {
	rk, err := ParseForwardedRoomKey(forwardedContent(func(m map[string]any) {
		m["forwarding_curve25519_key_chain"] = []string{edKey + "="}
		m["m.shared_history"] = true
	}))
	if err != nil {
		t.Fatal(err)
	}
	if rk.RoomID != "!room:id" || rk.SessionID != sessionID33 || rk.SenderKey != curveKey ||
		rk.SenderClaimedEd25519Key != edKey || len(rk.ForwardingCurve25519KeyChain) != 1 ||
		rk.ForwardingCurve25519KeyChain[0] != edKey || !rk.SharedHistory || !rk.Forwarded || rk.Session.IsVerified() {
		t.Fatalf("%+v", rk)
	}
	if pt, _, err := rk.Session.Decrypt(event33); err != nil || string(pt) != plain33 {
		t.Fatalf("%q %v", pt, err)
	}
	rk, err = ParseForwardedRoomKey(forwardedContent(func(m map[string]any) {
		delete(m, "forwarding_curve25519_key_chain")
		m["withheld"] = map[string]any{"code": "m.unverified"}
	}))
	if err != nil || rk.ForwardingCurve25519KeyChain == nil || len(rk.ForwardingCurve25519KeyChain) != 0 || rk.SharedHistory {
		t.Fatalf("no chain: %+v %v", rk, err)
	}
}

func TestRoomKeyShapes(t *testing.T) {
	out := NewOutboundGroupSession()
	v2, _ := out.SessionKey()
	roomKey := func(edit func(m map[string]any)) []byte {
		m := map[string]any{"algorithm": Algorithm, "room_id": "!r:x", "session_id": out.SessionID(), "session_key": v2}
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	otherID := NewOutboundGroupSession().SessionID()

	for _, c := range []struct {
		name    string
		content []byte
		code    errcode.Code
	}{
		{"not JSON", []byte("{"), errcode.BadInput},
		{"array", []byte("[]"), errcode.BadInput},
		{"null", []byte("null"), errcode.BadInput},
		{"no algorithm", roomKey(del("algorithm")), errcode.BadInput},
		{"other algorithm", roomKey(set("algorithm", "m.olm.v1.curve25519-aes-sha2")), errcode.UnsupportedAlgorithm},
		{"algorithm not a string", roomKey(set("algorithm", 3)), errcode.BadInput},
		{"no room id", roomKey(del("room_id")), errcode.BadInput},
		{"bad room id", roomKey(set("room_id", "#alias:x")), errcode.BadInput},
		{"no session id", roomKey(del("session_id")), errcode.BadInput},
		{"other session id", roomKey(set("session_id", otherID)), errcode.BadInput},
		{"no session key", roomKey(del("session_key")), errcode.BadInput},
		{"session key not a string", roomKey(set("session_key", []int{1})), errcode.BadInput},
		{"export format key", roomKey(set("session_key", sessionKey33)), errcode.BadInput},
		{"bad signature", roomKey(set("session_key", v2[:300]+flip(v2, 300)[300:])), errcode.BadSignature},
		{"session key not base64", roomKey(set("session_key", strings.Repeat("!", 306))), errcode.BadBase64},
		{"shared_history not bool", roomKey(set("shared_history", "yes")), errcode.BadInput},
	} {
		_, err := ParseRoomKey(c.content, curveKey, edKey)
		wantCode(t, "m.room_key "+c.name, err, c.code)
	}
	_, err := ParseRoomKey(roomKey(nil), "AAAA", edKey)
	wantCode(t, "bad sender key", err, errcode.BadInput)
	_, err = ParseRoomKey(roomKey(nil), curveKey, "!!")
	wantCode(t, "bad claimed key", err, errcode.BadBase64)

	// Shared history: true only if every name present says true.
	for _, c := range []struct {
		edit func(map[string]any)
		want bool
	}{
		{nil, false},
		{set("shared_history", true), true},
		{set("org.matrix.msc3061.shared_history", true), true},
		{set("shared_history", nil), false},
		{func(m map[string]any) { m["shared_history"] = true; m["m.shared_history"] = false }, false},
		{func(m map[string]any) { m["shared_history"] = true; m["m.shared_history"] = nil }, true},
	} {
		rk, err := ParseRoomKey(roomKey(c.edit), curveKey, edKey)
		if err != nil || rk.SharedHistory != c.want {
			t.Errorf("shared history: %v, %v", rk.SharedHistory, err)
		}
	}

	for _, c := range []struct {
		name string
		edit func(map[string]any)
		code errcode.Code
	}{
		{"no sender key", del("sender_key"), errcode.BadInput},
		{"bad sender key", set("sender_key", "AAAA"), errcode.BadInput},
		{"no claimed key", del("sender_claimed_ed25519_key"), errcode.BadInput},
		{"chain not array", set("forwarding_curve25519_key_chain", "x"), errcode.BadInput},
		{"chain entry not a key", set("forwarding_curve25519_key_chain", []string{"x"}), errcode.BadBase64},
		{"chain entry not a string", set("forwarding_curve25519_key_chain", []int{1}), errcode.BadInput},
		{"v2 key", func(m map[string]any) { m["session_key"] = v2; m["session_id"] = out.SessionID() }, errcode.BadInput},
		{"other session id", set("session_id", otherID), errcode.BadInput},
		{"other algorithm", set("algorithm", "m.megolm.v2.aes-sha2"), errcode.UnsupportedAlgorithm},
	} {
		_, err := ParseForwardedRoomKey(forwardedContent(c.edit))
		wantCode(t, "m.forwarded_room_key "+c.name, err, c.code)
	}
}

// ParseForwardingChain is the one reader of forwarding chains: absent is
// empty, keys come back unpadded, anything else is refused.
func TestParseForwardingChain(t *testing.T) {
	const key = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08"
	if got, err := ParseForwardingChain(nil, "x"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("absent: %v %v", got, err)
	}
	if got, err := ParseForwardingChain([]any{key + "="}, "x"); err != nil || len(got) != 1 || got[0] != key {
		t.Fatalf("padded key: %v %v", got, err)
	}
	for _, bad := range []any{"k", []any{1}, []any{"short"}, map[string]any{}} {
		if _, err := ParseForwardingChain(bad, "x"); errcode.Of(err) != errcode.BadInput && errcode.Of(err) != errcode.BadBase64 {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
