package olm

import (
	"bytes"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Fuzz targets for every decoder of untrusted bytes. Each checks: no panic,
// every error carries a code other than INTERNAL, failures change no state,
// and whatever decodes re-encodes consistently.

func codedErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && errcode.Of(err) == errcode.Internal {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

// FuzzNormalMessage: the type-1 decoder, and Session.Decrypt on it.
func FuzzNormalMessage(f *testing.F) {
	_, _, alice, bob := establish(f)
	for i := range 3 {
		m, _ := bob.Encrypt(bytes.Repeat([]byte{'m'}, i*20))
		f.Add(testdecode.B64(f, join(m.Body)))
	}
	f.Add(testdecode.B64(f, join(vodozemacMessage)))
	f.Add(append(encodeNormalMessage([]byte("ratchetkey"), 1, []byte("ciphertext")), "hmacsha2"...))
	f.Add(append([]byte{3}, make([]byte, 9)...))
	f.Add([]byte{0x41, 0x77, 0x6f})
	state := sessionState(alice)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeNormalMessage(data)
		codedErr(t, "decode", err)
		if err == nil {
			re := append(encodeNormalMessage(m.ratchetKey, m.chainIndex, m.ciphertext), m.mac...)
			m2, err := decodeNormalMessage(re)
			if err != nil || !bytes.Equal(m2.ratchetKey, m.ratchetKey) || m2.chainIndex != m.chainIndex ||
				!bytes.Equal(m2.ciphertext, m.ciphertext) || !bytes.Equal(m2.mac, m.mac) {
				t.Fatalf("re-encoding does not round-trip: %v", err)
			}
		}
		s := alice.clone()
		_, err = s.Decrypt(Message{Type: MessageTypeNormal, Body: b64.Encode(data)})
		codedErr(t, "decrypt", err)
		if err != nil && !bytes.Equal(sessionState(s), state) {
			t.Fatal("failed decryption changed the session")
		}
	})
}

// FuzzPreKeyMessage: the type-0 decoder, Session.Decrypt/MatchesInbound and
// Account.NewInboundSession on it.
func FuzzPreKeyMessage(f *testing.F) {
	aliceAcct, bobAcct, alice := newPair(f)
	noErr(f, bobAcct.GenerateFallbackKey())
	for i := range 2 {
		m, _ := alice.Encrypt(bytes.Repeat([]byte{'p'}, i*20))
		f.Add(testdecode.B64(f, join(m.Body)))
	}
	f.Add(testdecode.B64(f, join(vodozemacPreKeyMessage)))
	f.Add([]byte{0x7f, 0xff, 0x6f, 0x01, 0x01, 0x34, 0x6d, 0x67, 0x12, 0x01})
	f.Add([]byte{3, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00})
	acctState := accountState(bobAcct)
	sessState := sessionState(alice)
	sender := aliceAcct.Curve25519Key()
	f.Fuzz(func(t *testing.T, data []byte) {
		pk, err := decodePreKeyMessage(data)
		codedErr(t, "decode", err)
		if err == nil {
			re := encodePreKeyMessage(pk.oneTimeKey, pk.baseKey, pk.identityKey, pk.message)
			pk2, err := decodePreKeyMessage(re)
			if err != nil || !bytes.Equal(pk2.oneTimeKey, pk.oneTimeKey) || !bytes.Equal(pk2.baseKey, pk.baseKey) ||
				!bytes.Equal(pk2.identityKey, pk.identityKey) || !bytes.Equal(pk2.message, pk.message) {
				t.Fatalf("re-encoding does not round-trip: %v", err)
			}
		}
		msg := Message{Type: MessageTypePreKey, Body: b64.Encode(data)}
		s := alice.clone()
		s.MatchesInbound(msg)
		_, err = s.Decrypt(msg)
		codedErr(t, "session decrypt", err)
		if err != nil && !bytes.Equal(sessionState(s), sessState) {
			t.Fatal("failed decryption changed the session")
		}
		_, _, err = bobAcct.NewInboundSession(sender, msg)
		codedErr(t, "inbound", err)
		if err == nil {
			// A genuine seed: restore the one-time key it consumed.
			bobAcct, _ = unmarshalAccount(acctState)
		} else if !bytes.Equal(accountState(bobAcct), acctState) {
			t.Fatal("failed inbound session changed the account")
		}
	})
}

// FuzzLibolmPickle: the raw libolm account and session decoders (after the
// envelope, which a fuzzer could not get past), and the envelope itself.
func FuzzLibolmPickle(f *testing.F) {
	for _, c := range []struct {
		key    string
		pickle string
	}{
		{"secret_key", libolmSessionV1}, {"secret_key", libolmSessionV2}, {"", libolmSessionDecryptTest},
		{"", libolmAccountV1}, {"", libolmAccountV3}, {"secret_key", libolmAccountV4},
	} {
		raw, err := libolmpickle.Decrypt([]byte(c.key), join(c.pickle))
		noErr(f, err)
		f.Add(raw)
	}
	a := NewAccount()
	noErr(f, a.GenerateOneTimeKeys(2))
	noErr(f, a.GenerateFallbackKey())
	raw, _ := a.encodeLibolm()
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeLibolmSession(data)
		codedErr(t, "session", err)
		if err == nil {
			s2, err := decodeLibolmSession(s.encodeLibolm())
			if err != nil || !bytes.Equal(sessionState(s), sessionState(s2)) {
				t.Fatalf("session re-export does not round-trip: %v", err)
			}
		}
		a, err := decodeLibolmAccount(data, testEpoch)
		codedErr(t, "account", err)
		if err == nil {
			re, err := a.encodeLibolm()
			noErr(t, err)
			a2, err := decodeLibolmAccount(re, testEpoch)
			if err != nil || !bytes.Equal(accountState(a), accountState(a2)) {
				t.Fatalf("account re-export does not round-trip: %v", err)
			}
		}
		_, err = ImportLibolmSession(nil, string(data))
		codedErr(t, "envelope", err)
	})
}

// FuzzPickle: our own account and session encodings (inside the sealed
// envelope). The encoding is canonical, so whatever decodes must re-encode
// to the same bytes.
func FuzzPickle(f *testing.F) {
	clock := &fakeClock{t: testEpoch}
	a := NewAccount()
	a.Clock = clock.now
	noErr(f, a.GenerateOneTimeKeys(2))
	a.MarkKeysAsPublished()
	for range 3 {
		noErr(f, a.GenerateFallbackKey())
		clock.advance(day)
	}
	f.Add(accountState(a))
	imported, err := ImportLibolmAccount(nil, join(libolmAccountV3))
	noErr(f, err)
	f.Add(accountState(imported))
	_, _, alice, bob := establish(f)
	f.Add(sessionState(alice))
	f.Add(sessionState(bob))
	key := bytes.Repeat([]byte{5}, 32)
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := unmarshalAccount(data); err == nil {
			if !bytes.Equal(accountState(a), data) {
				t.Fatal("account encoding is not canonical")
			}
		} else {
			codedErr(t, "account", err)
		}
		if s, err := unmarshalSession(data); err == nil {
			if !bytes.Equal(sessionState(s), data) {
				t.Fatal("session encoding is not canonical")
			}
		} else {
			codedErr(t, "session", err)
		}
		_, err := UnpickleAccount(key, data)
		codedErr(t, "sealed account", err)
		_, err = UnpickleSession(key, data)
		codedErr(t, "sealed session", err)
	})
}
