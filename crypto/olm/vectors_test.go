package olm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// Test vectors from docs/vectors.md; section numbers refer to it.

// §1.1 X25519 (RFC 7748 keys, libolm test_crypto.cpp).
func TestVectorX25519(t *testing.T) {
	v := vectors.X25519(t)
	alice, err := curveKeyFromPrivate(v.Keys["rfc7748_alice"].Private)
	noErr(t, err)
	bob, err := curveKeyFromPrivate(v.Keys["rfc7748_bob"].Private)
	noErr(t, err)
	if got := alice.publicB64(); got != v.Keys["rfc7748_alice"].PublicB64 {
		t.Errorf("alice public %s", got)
	}
	if got := bob.publicB64(); got != v.Keys["rfc7748_bob"].PublicB64 {
		t.Errorf("bob public %s", got)
	}
	want := []byte(v.Shared)
	s1, err := alice.dh(bob.public[:])
	noErr(t, err)
	s2, err := bob.dh(alice.public[:])
	noErr(t, err)
	if !bytes.Equal(s1, want) || !bytes.Equal(s2, want) {
		t.Errorf("shared secret %x / %x", s1, s2)
	}
	// A low-order peer key (here 0 and 1) gives an all-zero secret: refused.
	for _, low := range [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...)} {
		if _, err := alice.dh(low); err == nil {
			t.Errorf("DH with low-order point %x accepted", low)
		}
	}
}

// §1.2 HMAC / HKDF-SHA-256 (RFC 5869 case 1).
func TestVectorHKDF(t *testing.T) {
	v := vectors.RFC5869(t)
	ikm, salt, info := []byte(v.IKM), []byte(v.Salt), string(v.Info)
	if got := hmacSHA256(salt, ikm); !bytes.Equal(got, v.PRK) {
		t.Errorf("HMAC %x", got)
	}
	want := []byte(v.OKM)
	if got := hkdfSHA256(salt, ikm, info, v.Length); !bytes.Equal(got, want) {
		t.Errorf("HKDF %x", got)
	}
	// Olm's "default salt" is 32 zero bytes; an empty salt is the same PRK.
	if !bytes.Equal(hkdfSHA256(zeroSalt[:], ikm, "OLM_ROOT", 64), hkdfSHA256(nil, ikm, "OLM_ROOT", 64)) {
		t.Error("zero salt and empty salt differ")
	}
}

// §2.2 JSON signing (spec appendix) through the account's signer.
func TestVectorSigningSpec(t *testing.T) {
	spec := vectors.MustSigning().SpecAppendix
	seed, err := b64.Decode(spec.SeedB64)
	noErr(t, err)
	a := NewAccount()
	a.signingKey, err = ed25519x.FromSeed(seed)
	noErr(t, err)
	if len(spec.Cases) != 2 {
		t.Fatalf("%d cases", len(spec.Cases))
	}
	for _, c := range spec.Cases {
		var obj map[string]any
		noErr(t, json.Unmarshal(c.Object, &obj))
		noErr(t, a.signObject(obj, spec.Entity, strings.TrimPrefix(spec.KeyID, "ed25519:")))
		got := obj["signatures"].(map[string]any)[spec.Entity].(map[string]any)[spec.KeyID]
		if got != c.Signature {
			t.Errorf("signature %v, want %s", got, c.Signature)
		}
	}
}

// §2.3 device keys and one-time key signatures (matrix-js-sdk test data),
// produced by KeysForUpload itself.
func TestVectorSignedDeviceAndOneTimeKeys(t *testing.T) {
	js := vectors.MustSigning().JSSDK
	signed := func(name string) (obj map[string]any, sig any) {
		for _, v := range js.Signed {
			if v.Name == name {
				noErr(t, json.Unmarshal(v.Object, &obj))
				return obj, obj["signatures"].(map[string]any)[js.UserID].(map[string]any)[v.KeyID]
			}
		}
		t.Fatalf("signing.json has no %s", name)
		return nil, nil
	}
	a := NewAccount()
	var err error
	a.signingKey, err = ed25519x.FromSeed([]byte(js.Keys["device"].SeedText))
	noErr(t, err)
	if a.Ed25519Key() != js.Keys["device"].PublicB64 {
		t.Fatalf("Ed25519 public %s", a.Ed25519Key())
	}
	// The vector's Curve25519 key is a made-up string, not derived from a
	// private key; only the public half takes part in signing.
	device, wantSig := signed("device keys")
	deviceID := device["device_id"].(string)
	pub, _ := b64.Decode(device["keys"].(map[string]any)["curve25519:"+deviceID].(string))
	copy(a.identityKey.public[:], pub)
	body, err := a.KeysForUpload(js.UserID, deviceID)
	noErr(t, err)
	dk := body["device_keys"].(map[string]any)
	sig := dk["signatures"].(map[string]any)[js.UserID].(map[string]any)["ed25519:"+deviceID]
	if sig != wantSig {
		t.Errorf("device keys signature %v", sig)
	}
	otkObj, wantOTKSig := signed("one-time key")
	otk := map[string]any{"key": otkObj["key"]}
	noErr(t, a.signObject(otk, js.UserID, deviceID))
	ok, err := signing.Verify(otk, js.UserID, "ed25519:"+deviceID, a.Ed25519Key())
	noErr(t, err)
	if got := otk["signatures"].(map[string]any)[js.UserID].(map[string]any)["ed25519:"+deviceID]; !ok || got != wantOTKSig {
		t.Errorf("one-time key signature %v (verifies: %v)", got, ok)
	}
}

// §4.1 wire format, libolm test_message.cpp.
func TestVectorMessageEncodingLibolm(t *testing.T) {
	v := olmFile.WireLibolm
	want := []byte(v.Encoded)
	got := append(encodeNormalMessage([]byte(v.RatchetKey), v.ChainIndex, []byte(v.Ciphertext)), v.MAC...)
	if !bytes.Equal(got, want) || len(got) != 35 {
		t.Fatalf("encoded %x\nwant    %x", got, want)
	}
	for _, in := range [][]byte{want, v.Reordered} {
		m, err := decodeNormalMessage(in)
		noErr(t, err)
		if m.chainIndex != v.ChainIndex || string(m.ratchetKey) != v.RatchetKey || string(m.ciphertext) != v.Ciphertext || string(m.mac) != v.MAC {
			t.Errorf("decoded %+v", m)
		}
		if !bytes.Equal(m.authenticated, in[:len(in)-8]) {
			t.Error("MAC input is not the received bytes")
		}
		// A 10-byte ratchet key is not a Curve25519 key.
		_, err = parseNormalMessage(in)
		wantCode(t, err, errcode.BadMessage)
	}
}

// §4.1 wire format, vodozemac message.rs.
func TestVectorMessageEncodingVodozemac(t *testing.T) {
	v := olmFile.WireVodozemac
	want := []byte(v.Encoded)
	got := append(encodeNormalMessage([]byte(v.RatchetKey), v.ChainIndex, []byte(v.Ciphertext)), v.MAC...)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded %x\nwant    %x", got, want)
	}
	m, err := parseNormalMessage(want)
	noErr(t, err)
	if m.chainIndex != v.ChainIndex || string(m.ciphertext) != v.Ciphertext || string(m.mac) != v.MAC {
		t.Errorf("decoded %+v", m)
	}
	// vodozemac's experimental version 4 (32-byte MAC) is not Matrix Olm.
	_, err = decodeNormalMessage(v.Version4)
	wantCode(t, err, errcode.BadMessage)
	// Too short, and a payload that is not valid (field number 0).
	_, err = decodeNormalMessage(append([]byte{3}, make([]byte, 8)...))
	wantCode(t, err, errcode.BadMessage)
	_, err = decodeNormalMessage(append([]byte{3}, make([]byte, 9)...))
	wantCode(t, err, errcode.BadMessage)
}

// The Olm vectors of docs/vectors.md, from testdata/vectors/olm.json.
var (
	olmFile                = vectors.MustOlm()
	vodozemacPreKeyMessage = olmFile.RealMessages.PreKeyMessage
	vodozemacMessage       = olmFile.RealMessages.Message
)

// §4.1 real messages from vodozemac mod.rs: decode, and re-encoding gives
// the same bytes.
func TestVectorRealMessages(t *testing.T) {
	raw, err := b64.Decode(join(vodozemacPreKeyMessage))
	noErr(t, err)
	pk, err := parsePreKeyMessage(raw)
	noErr(t, err)
	pf := olmFile.RealMessages.PreKeyFields
	for _, c := range []struct {
		name      string
		got, want []byte
	}{
		{"one-time key", pk.oneTimeKey, pf.OneTimeKey},
		{"base key", pk.baseKey, pf.BaseKey},
		{"identity key", pk.identityKey, pf.IdentityKey},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s %x", c.name, c.got)
		}
	}
	inner, err := parseNormalMessage(pk.message)
	noErr(t, err)
	if !bytes.Equal(inner.ratchetKey, pf.RatchetKey) || inner.chainIndex != pf.ChainIndex ||
		!bytes.Equal(inner.mac, pf.MAC) || !bytes.Equal(inner.ciphertext, pf.Ciphertext) {
		t.Errorf("inner message %x %d %x %x", inner.ratchetKey, inner.chainIndex, inner.mac, inner.ciphertext)
	}
	re := encodePreKeyMessage(pk.oneTimeKey, pk.baseKey, pk.identityKey,
		append(encodeNormalMessage(inner.ratchetKey, inner.chainIndex, inner.ciphertext), inner.mac...))
	if !bytes.Equal(re, raw) {
		t.Errorf("pre-key message re-encodes differently")
	}

	raw, err = b64.Decode(vodozemacMessage)
	noErr(t, err)
	m, err := parseNormalMessage(raw)
	noErr(t, err)
	mf := olmFile.RealMessages.MessageFields
	if !bytes.Equal(m.ratchetKey, mf.RatchetKey) || m.chainIndex != mf.ChainIndex ||
		!bytes.Equal(m.mac, mf.MAC) || !bytes.Equal(m.ciphertext, mf.Ciphertext) {
		t.Errorf("message %x %d %x %x", m.ratchetKey, m.chainIndex, m.mac, m.ciphertext)
	}
	if re := append(encodeNormalMessage(m.ratchetKey, m.chainIndex, m.ciphertext), m.mac...); !bytes.Equal(re, raw) {
		t.Errorf("message re-encodes differently")
	}

	// Bob's account does not hold the one-time key: UnknownOneTimeKey, and
	// nothing changes.
	bob := NewAccount()
	noErr(t, bob.GenerateOneTimeKeys(2))
	before := accountState(bob)
	_, _, err = bob.NewInboundSession(b64.Encode(pk.identityKey), Message{Type: MessageTypePreKey, Body: join(vodozemacPreKeyMessage)})
	wantCode(t, err, errcode.UnknownOneTimeKey)
	sameState(t, "account", before, accountState(bob))
}

var (
	libolmSessionV1          = olmFile.SessionPickles.Version1
	libolmSessionV2          = olmFile.SessionPickles.Logging
	libolmSessionDecryptTest = olmFile.ReceivedSession.Pickle
	mautrixEmptySession      = olmFile.EmptySession.Pickle
)

// §4.2 libolm session pickles with asserted state (libolm test_session.cpp).
func TestVectorLibolmSessionPickles(t *testing.T) {
	key := []byte(olmFile.SessionPickles.Key)
	want := olmFile.SessionPickles.State
	for _, p := range []string{libolmSessionV1, libolmSessionV2} {
		s, err := ImportLibolmSession(key, join(p))
		noErr(t, err)
		r := &s.ratchet
		check := func(name string, got, want []byte) {
			t.Helper()
			if !bytes.Equal(got, want) {
				t.Errorf("%s = %x", name, got)
			}
		}
		check("root key", r.rootKey[:], want.RootKey)
		if !r.hasSender || len(r.receivers) != 0 || len(r.skipped) != 0 || s.receivedMessage {
			t.Fatalf("chains: sender %v, %d receivers, %d skipped, received %v", r.hasSender, len(r.receivers), len(r.skipped), s.receivedMessage)
		}
		check("ratchet public", r.sender.ratchetKey.public[:], want.SenderRatchetPublic)
		check("ratchet private", r.sender.ratchetKey.private[:], want.SenderRatchetPrivate)
		if r.sender.chain.index != want.SenderChainIndex {
			t.Errorf("chain index %d", r.sender.chain.index)
		}
		check("alice identity", s.aliceIdentityKey[:], want.AliceIdentityKey)
		check("alice base", s.aliceBaseKey[:], want.AliceBaseKey)
		check("bob one-time", s.bobOneTimeKey[:], want.BobOneTimeKey)
		// The stored ratchet key pair is consistent.
		derived, _ := curveKeyFromPrivate(r.sender.ratchetKey.private[:])
		if derived.public != r.sender.ratchetKey.public {
			t.Error("ratchet public key does not match its private key")
		}
		// Export is libolm version 1: identical to the V1 vector.
		out, err := s.ExportLibolm(key)
		noErr(t, err)
		if out != join(libolmSessionV1) {
			t.Errorf("re-export differs from the version-1 pickle")
		}
		// The imported session encrypts (a pre-key message, not yet received).
		m, err := s.Encrypt([]byte("x"))
		noErr(t, err)
		if m.Type != MessageTypePreKey || !s.MatchesInbound(m) {
			t.Errorf("imported session: type %d, matches %v", m.Type, s.MatchesInbound(m))
		}
	}
	_, err := ImportLibolmSession([]byte("wrong"), join(libolmSessionV1))
	wantCode(t, err, errcode.WrongKey)
	_, err = ImportLibolmSession(key, join(libolmSessionV1)+"A")
	wantCode(t, err, errcode.BadPickle)
}

// §4.2 libolm test_olm_decrypt.cpp: a received session; garbage pre-key
// messages fail with BadMessage and change nothing.
func TestVectorLibolmSessionGarbageMessages(t *testing.T) {
	s, err := ImportLibolmSession([]byte(olmFile.ReceivedSession.Key), join(libolmSessionDecryptTest))
	noErr(t, err)
	if !s.receivedMessage || s.ratchet.hasSender || len(s.ratchet.receivers) != 1 || s.ratchet.receivers[0].chain.index != 1 {
		t.Fatalf("state: received %v, sender %v, receivers %+v", s.receivedMessage, s.ratchet.hasSender, s.ratchet.receivers)
	}
	before := sessionState(s)
	if len(olmFile.ReceivedSession.Garbage) != 4 {
		t.Fatalf("%d garbage messages", len(olmFile.ReceivedSession.Garbage))
	}
	for _, h := range olmFile.ReceivedSession.Garbage {
		for _, typ := range []MessageType{MessageTypePreKey, MessageTypeNormal} {
			_, err := s.Decrypt(Message{Type: typ, Body: b64.Encode(h)})
			wantCode(t, err, errcode.BadMessage)
		}
	}
	sameState(t, "session", before, sessionState(s))
}

// §4.2 mautrix TestSessionPickle: an all-zero version-1 session decrypts
// and parses, but has no chains, so (like vodozemac) it is refused.
func TestVectorLibolmEmptySession(t *testing.T) {
	key := []byte(olmFile.EmptySession.Key)
	raw, err := libolmpickle.Decrypt(key, join(mautrixEmptySession))
	noErr(t, err)
	if len(raw) < 4 || raw[3] != 1 {
		t.Fatalf("not a version-1 session pickle")
	}
	_, err = ImportLibolmSession(key, join(mautrixEmptySession))
	wantCode(t, err, errcode.BadPickle)
	if !strings.Contains(err.Error(), "chain") {
		t.Errorf("unclear error: %v", err)
	}
	_, err = ImportLibolmSession(key, join(mautrixEmptySession)+"A")
	wantCode(t, err, errcode.BadPickle)
}

var (
	libolmAccountV1 = olmFile.AccountV1.Pickle
	libolmAccountV3 = olmFile.AccountV3.Pickle
	libolmAccountV4 = olmFile.AccountV4.Pickle
)

// §4.3 libolm account pickles, versions 1 and 3.
func TestVectorLibolmAccountOldVersions(t *testing.T) {
	_, err := ImportLibolmAccount([]byte(olmFile.AccountV1.Key), join(libolmAccountV1))
	wantCode(t, err, errcode.BadPickle)
	if !strings.Contains(err.Error(), "version 1") {
		t.Errorf("unclear error: %v", err)
	}

	v3 := olmFile.AccountV3
	a, err := ImportLibolmAccount([]byte(v3.Key), join(libolmAccountV3))
	noErr(t, err)
	st := a.FallbackKeyStatus()
	if len(st) != 1 || st[0].KeyID != v3.FallbackKeyID || st[0].PublicKey != v3.FallbackKey ||
		!st[0].Current || st[0].Published.IsZero() {
		t.Errorf("fallback keys %+v", st)
	}
	if len(a.UnpublishedFallbackKey()) != 0 || a.OneTimeKeyCount() != 0 || a.lastKeyID != v3.LastKeyID {
		t.Errorf("unpublished %v, %d one-time keys, last key id %d", a.UnpublishedFallbackKey(), a.OneTimeKeyCount(), a.lastKeyID)
	}
	// The next key gets a fresh id.
	noErr(t, a.GenerateOneTimeKeys(1))
	if _, ok := a.UnpublishedOneTimeKeys()["AAAAAg"]; !ok {
		t.Errorf("new key ids %v", a.UnpublishedOneTimeKeys())
	}
}

// §4.3 a libolm v4 account (mautrix account_data_test.go): asserted keys,
// and export reproduces the pickle exactly.
func TestVectorLibolmAccountV4(t *testing.T) {
	v4 := olmFile.AccountV4
	key := []byte(v4.Key)
	a, err := ImportLibolmAccount(key, join(libolmAccountV4))
	noErr(t, err)
	if !bytes.Equal(a.signingKey.Public(), v4.Ed25519Public) {
		t.Errorf("Ed25519 public %x", a.signingKey.Public())
	}
	if !bytes.Equal(a.signingKey.Expanded(), v4.Ed25519Expanded) || a.signingKey.Seed() != nil {
		t.Errorf("Ed25519 private %x", a.signingKey.Expanded())
	}
	// The expanded key is the clamped SHA-512 of the seed 50 00*31.
	fromSeed, _ := ed25519x.FromSeed(v4.Ed25519Seed)
	if !bytes.Equal(fromSeed.Expanded(), v4.Ed25519Expanded) {
		t.Error("expanded key does not come from the seed 50 00*31")
	}
	if !bytes.Equal(a.identityKey.public[:], v4.Curve25519Public) || !bytes.Equal(a.identityKey.private[:], v4.Curve25519Private) {
		t.Errorf("Curve25519 %x / %x", a.identityKey.public, a.identityKey.private)
	}
	n := v4.OneTimeKeys
	if a.OneTimeKeyCount() != n || a.lastKeyID != uint32(n) || len(a.FallbackKeyStatus()) != 0 {
		t.Fatalf("%d one-time keys, last id %d, %d fallback keys", a.OneTimeKeyCount(), a.lastKeyID, len(a.FallbackKeyStatus()))
	}
	unpublished := a.UnpublishedOneTimeKeys()
	if len(unpublished) != n {
		t.Errorf("%d unpublished", len(unpublished))
	}
	for i, k := range a.oneTimeKeys.keys { // oldest first: ids 1..42
		id := uint32(i + 1)
		want := "50" + strings.Repeat(hex.EncodeToString([]byte{byte(id + 1)}), 31)
		if k.id != id || hex.EncodeToString(k.key.private[:]) != want {
			t.Errorf("key %d: id %d private %x", i, k.id, k.key.private)
		}
	}
	if len(v4.OneTimeKeyPublics) != 4 {
		t.Fatalf("%d public keys in olm.json", len(v4.OneTimeKeyPublics))
	}
	for n, pub := range v4.OneTimeKeyPublics {
		i, err := strconv.ParseUint(n, 10, 32)
		noErr(t, err)
		id := keyIDString(uint32(i))
		if unpublished[id] != pub {
			t.Errorf("key %s = %s, want %s", id, unpublished[id], pub)
		}
	}
	// Spot-check that stored public keys match their private keys.
	for _, i := range []int{0, 20, 41} {
		k := a.oneTimeKeys.keys[i].key
		d, _ := curveKeyFromPrivate(k.private[:])
		if d.public != k.public {
			t.Errorf("key %d: public does not match private", i)
		}
	}
	out, err := a.ExportLibolm(key)
	noErr(t, err)
	if out != join(libolmAccountV4) {
		t.Error("export differs from the imported pickle")
	}
	// Signing with the expanded key verifies.
	sig, _ := b64.Decode(a.Sign([]byte("msg")))
	if !ed25519x.Verify(a.signingKey.Public(), []byte("msg"), sig) {
		t.Error("signature by imported key does not verify")
	}
	// Our own pickle keeps the expanded form.
	pk := make([]byte, 32)
	p, err := a.Pickle(pk)
	noErr(t, err)
	b, err := UnpickleAccount(pk, p)
	noErr(t, err)
	sameState(t, "account after own pickle round trip", accountState(a), accountState(b))

	_, err = ImportLibolmAccount([]byte("wrong"), join(libolmAccountV4))
	wantCode(t, err, errcode.WrongKey)
}
