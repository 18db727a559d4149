//go:build !mxcrypto_core

package jsbridge

import (
	"bytes"
	"crypto/ecdh"
	"encoding/json"
	"reflect"

	"github.com/mxcrypto/mxcrypto/internal/bridgewire"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/store"
)

type preparedEntry struct {
	rec  store.InboundSession
	code errcode.Code
}

func readAll(t testing.TB, b []byte) ([]preparedEntry, error) {
	var out []preparedEntry
	err := readPrepared(b,
		func(r store.InboundSession) { out = append(out, preparedEntry{rec: r}) },
		func(c errcode.Code) { out = append(out, preparedEntry{code: c}) })
	return out, err
}

// prepareBatch decrypts what backup encryption made and prepares each key;
// the entries that fail say why, in order.
func TestPrepareBatch(t *testing.T) {
	priv := pk.GenerateKey()
	pub, err := pk.PublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	out := megolm.NewOutboundGroupSession()
	key, err := out.InboundSession().Export(0)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{
		"algorithm": megolm.Algorithm, "session_key": key,
		"sender_key":          "cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00",
		"sender_claimed_keys": map[string]string{"ed25519": "8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY"},
	})
	var in []byte
	add := func(plain []byte, room, session string, spoilMAC bool) {
		shared, mac, ct := encryptShared(t, priv, pub, plain)
		if spoilMAC {
			mac[0] ^= 1
		}
		w := bridgewire.Writer{B: in}
		w.PrepareEntry(bridgewire.PrepareEntry{SharedEntry: bridgewire.SharedEntry{Shared: shared, MAC: mac, Ciphertext: ct}, RoomID: []byte(room), SessionID: []byte(session)})
		in = w.B
	}
	add(data, "!room:x", out.SessionID(), false)
	add(data, "!room:x", out.SessionID(), true)
	add(data, "!room:x", "another id", false)
	add([]byte("not json"), "!room:x", out.SessionID(), false)
	got, err := prepareBatch(bytes.Clone(in), 4)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := readAll(t, got)
	if err != nil || len(entries) != 4 {
		t.Fatalf("%+v %v", entries, err)
	}
	if r := entries[0].rec; r.RoomID != "!room:x" || r.SessionID != out.SessionID() || r.FirstKnownIndex != 0 || len(r.State) == 0 {
		t.Fatalf("prepared %+v", r)
	}
	if codes := []errcode.Code{entries[1].code, entries[2].code, entries[3].code}; !reflect.DeepEqual(codes, []errcode.Code{errcode.WrongKey, errcode.BadInput, errcode.BadMessage}) {
		t.Fatalf("codes %v", codes)
	}
	for _, c := range []int{3, 5} {
		if _, err := prepareBatch(bytes.Clone(in), c); errcode.Of(err) != errcode.BadInput {
			t.Fatalf("count %d: %v", c, err)
		}
	}
	if _, err := prepareBatch(in[:len(in)-1], 4); errcode.Of(err) != errcode.BadInput {
		t.Fatalf("truncated: %v", err)
	}
}

// encryptShared encrypts for the backup key pub and returns what the JS side
// hands Go for it: the X25519 result, the MAC and the ciphertext.
func encryptShared(t testing.TB, priv, pub, plain []byte) (shared, mac, ct []byte) {
	m, err := pk.Encrypt(pub, plain)
	if err != nil {
		t.Fatal(err)
	}
	eph, err := b64.Decode(m.Ephemeral)
	if err == nil {
		shared, err = sharedSecret(priv, eph)
	}
	if err == nil {
		mac, err = b64.Decode(m.MAC)
	}
	if err == nil {
		ct, err = b64.Decode(m.Ciphertext)
	}
	if err != nil {
		t.Fatal(err)
	}
	return shared, mac, ct
}

// sharedSecret is X25519 by Go's standard library, independent of
// crypto/internal/x25519 (which this package may not import).
func sharedSecret(priv, pub []byte) ([]byte, error) {
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return k.ECDH(p)
}
