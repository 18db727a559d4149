package olm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/b64"
	"github.com/mxcrypto/mxcrypto/crypto/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/crypto/libolmpickle"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
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
	seed, err := b64.Decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")
	noErr(t, err)
	a := NewAccount()
	a.signingKey, err = ed25519x.FromSeed(seed)
	noErr(t, err)
	for _, c := range []struct {
		obj map[string]any
		sig string
	}{
		{map[string]any{}, "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"},
		{map[string]any{"one": 1, "two": "Two"}, "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"},
	} {
		noErr(t, a.signObject(c.obj, "domain", "1"))
		got := c.obj["signatures"].(map[string]any)["domain"].(map[string]any)["ed25519:1"]
		if got != c.sig {
			t.Errorf("signature %v, want %s", got, c.sig)
		}
	}
}

// §2.3 device keys and one-time key signatures (matrix-js-sdk test data),
// produced by KeysForUpload itself.
func TestVectorSignedDeviceAndOneTimeKeys(t *testing.T) {
	a := NewAccount()
	var err error
	a.signingKey, err = ed25519x.FromSeed([]byte("deadbeefdeadbeefdeadbeefdeadbeef"))
	noErr(t, err)
	if a.Ed25519Key() != "YI/7vbGVLpGdYtuceQR8MSsKB/QjgfMXM1xqnn+0NWU" {
		t.Fatalf("Ed25519 public %s", a.Ed25519Key())
	}
	// The vector's Curve25519 key is a made-up string, not derived from a
	// private key; only the public half takes part in signing.
	pub, _ := b64.Decode("F4uCNNlcbRvc7CfBz95ZGWBvY1ALniG1J8+6rhVoKS0")
	copy(a.identityKey.public[:], pub)
	body, err := a.KeysForUpload("@alice:localhost", "test_device")
	noErr(t, err)
	dk := body["device_keys"].(map[string]any)
	sig := dk["signatures"].(map[string]any)["@alice:localhost"].(map[string]any)["ed25519:test_device"]
	if sig != "LmQC/yAUZJmkxZ+3L0nEwvtVWOzjqQqADWBhk+C47SPaFYHeV+E291mgXaSCJVeGltX+HC49Aw7nb6ga7sw0Aw" {
		t.Errorf("device keys signature %v", sig)
	}
	otk := map[string]any{"key": "j3fR3HemM16M7CWhoI4Sk5ZsdmdfQHsKL1xuSft6MSw"}
	noErr(t, a.signObject(otk, "@alice:localhost", "test_device"))
	ok, err := signing.Verify(otk, "@alice:localhost", "ed25519:test_device", a.Ed25519Key())
	noErr(t, err)
	if got := otk["signatures"].(map[string]any)["@alice:localhost"].(map[string]any)["ed25519:test_device"]; !ok ||
		got != "25djC6Rk6gIgFBMVawY9X9LnY8XMMziey6lKqL8Q5Bbp7T1vw9uk0RE7eKO2a/jNLcYroO2xRztGhBrKz5sOCQ" {
		t.Errorf("one-time key signature %v (verifies: %v)", got, ok)
	}
}

// §4.1 wire format, libolm test_message.cpp.
func TestVectorMessageEncodingLibolm(t *testing.T) {
	want := append([]byte{0x03, 0x0A, 0x0A}, "ratchetkey"...)
	want = append(want, 0x10, 0x01, 0x22, 0x0A)
	want = append(append(want, "ciphertext"...), "hmacsha2"...)
	got := append(encodeNormalMessage([]byte("ratchetkey"), 1, []byte("ciphertext")), "hmacsha2"...)
	if !bytes.Equal(got, want) || len(got) != 35 {
		t.Fatalf("encoded %x\nwant    %x", got, want)
	}
	reordered := append([]byte{0x03, 0x10, 0x01, 0x0A, 0x0A}, "ratchetkey"...)
	reordered = append(append(append(reordered, 0x22, 0x0A), "ciphertext"...), "hmacsha2"...)
	for _, in := range [][]byte{want, reordered} {
		m, err := decodeNormalMessage(in)
		noErr(t, err)
		if m.chainIndex != 1 || string(m.ratchetKey) != "ratchetkey" || string(m.ciphertext) != "ciphertext" || string(m.mac) != "hmacsha2" {
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
	key := []byte("ratchetkeyhereprettyplease123456")
	want := append(append([]byte{0x03, 0x0A, 0x20}, key...), 0x10, 0x02, 0x22, 0x0A)
	want = append(append(want, "ciphertext"...), "MACHEREE"...)
	got := append(encodeNormalMessage(key, 2, []byte("ciphertext")), "MACHEREE"...)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded %x\nwant    %x", got, want)
	}
	m, err := parseNormalMessage(want)
	noErr(t, err)
	if m.chainIndex != 2 || string(m.ciphertext) != "ciphertext" || string(m.mac) != "MACHEREE" {
		t.Errorf("decoded %+v", m)
	}
	// vodozemac's experimental version 4 (32-byte MAC) is not Matrix Olm.
	v4 := append(append([]byte{0x04, 0x0A, 0x20}, key...), 0x10, 0x02, 0x22, 0x0A)
	v4 = append(append(v4, "ciphertext"...), "MAC_01234567890_01234567890_HERE"...)
	_, err = decodeNormalMessage(v4)
	wantCode(t, err, errcode.BadMessage)
	// Too short, and a payload that is not valid (field number 0).
	_, err = decodeNormalMessage(append([]byte{3}, make([]byte, 8)...))
	wantCode(t, err, errcode.BadMessage)
	_, err = decodeNormalMessage(append([]byte{3}, make([]byte, 9)...))
	wantCode(t, err, errcode.BadMessage)
}

const (
	vodozemacPreKeyMessage = `AwoghAEuxPZ+w7M3pgUae4tDNiggUpOsQ/zci457VAtiAEYSIO3xOKRDBWKicIfxjSmYCYZ9DD4RMLjvvclbMlE5
		yIEWGiApLrCr853CKlPpW4Bi7S8ykRcejJ0lq7AfYLXKCjKdHSJPAwoghw3+P+cajhWj9Qzp5g87h+tbpiuh5wEa
		eUppqmWqug4QASIgRhZ2cgZcIWQbIa23R7U4y1Mo1R/tLCaMU+xjzRV5smGsCrJ6AHwktg`
	vodozemacMessage = `AwogI7JhE/UsMZqXKb3xV6kUZWoJc6jTm2+AIgWYmaETIR0QASIQ+X2zb7kEX/3JvoLspcNBcLWOFXYpV0nS`
)

// §4.1 real messages from vodozemac mod.rs: decode, and re-encoding gives
// the same bytes.
func TestVectorRealMessages(t *testing.T) {
	raw, err := b64.Decode(join(vodozemacPreKeyMessage))
	noErr(t, err)
	pk, err := parsePreKeyMessage(raw)
	noErr(t, err)
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"one-time key", pk.oneTimeKey, "84012ec4f67ec3b337a6051a7b8b433628205293ac43fcdc8b8e7b540b620046"},
		{"base key", pk.baseKey, "edf138a4430562a27087f18d299809867d0c3e1130b8efbdc95b325139c88116"},
		{"identity key", pk.identityKey, "292eb0abf39dc22a53e95b8062ed2f3291171e8c9d25abb01f60b5ca0a329d1d"},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("%s %x", c.name, c.got)
		}
	}
	inner, err := parseNormalMessage(pk.message)
	noErr(t, err)
	if hex.EncodeToString(inner.ratchetKey) != "870dfe3fe71a8e15a3f50ce9e60f3b87eb5ba62ba1e7011a794a69aa65aaba0e" ||
		inner.chainIndex != 1 || hex.EncodeToString(inner.mac) != "ac0ab27a007c24b6" ||
		hex.EncodeToString(inner.ciphertext) != "46167672065c21641b21adb747b538cb5328d51fed2c268c53ec63cd1579b261" {
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
	if hex.EncodeToString(m.ratchetKey) != "23b26113f52c319a9729bdf157a914656a0973a8d39b6f8022059899a113211d" ||
		m.chainIndex != 1 || hex.EncodeToString(m.mac) != "b58e1576295749d2" ||
		hex.EncodeToString(m.ciphertext) != "f97db36fb9045ffdc9be82eca5c34170" {
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

const (
	libolmSessionV1 = `wkEpwMgiAqD7B1/Lw2cKYYDcUZVOd9QHes7ZroWxr/Rp/nWEAySgRsIu/a54YhO67rwitrLpos7tFxxK9IZ7pKB1qrR1coV
		WIt78V9lp9WgmBAvxHBSY+tu1lkL/JjLi963/yFdPancZ+WHMVfaKlV3gWGpo7EfNK6qAOxI1Ea/eCsE2sYrsHEDvLLGlKA
		A9E56rmmoe2w6TKzsQjsZM2/XT2eJ82EgMO9pL02iLElXWmGNv72Ut7DouR0pQIT50HIEEKcFxYcoTb3WCfJD76CoesE4kx
		+TA6d45Xu1bwQNNkTGF+nCCu/GmKY+sECXbz9U6WhxG0YdF9Z4T8YkWYAgpKNS0FWRV`
	libolmSessionV2 = `m+DS/q34MXpw2xp50ZD0B7val1mlMpQXo0mx+VPje0weFYRRuuZQBdJgcFPEpi2MVSpA4cqgqHyj2/bU7/lz+BXkEBrCFVx
		0BJidxXfOLDW4TNtRhLS1YHJNGP8GvTg1+dCytBTLsCdm5f945Eq1U/pY3Cg96YTUufFP6EYrfRoDbAsRHc+h+wKKftQv+W
		44yUmRhcCemGHtpxk3UQAMCI7EBv9BvveyZMy3p9qZ3xvFK34Hef+R7gjtFycz7Nk/4UF46sT3cTmUlXz9iFW4uz2FrTI1W
		jym+l0DadsbSpHSUjmp9zt4qRP2UjwfZ5QNLv+cdObIfqFsiThGu/PlKigdF4SLHrnG`
	libolmSessionDecryptTest = `E0p44KO2y2pzp9FIjv0rud2wIvWDi2dx367kP4Fz/9JCMrH+aG369HGymkFtk0+PINTLB9lQRtohea5d7G/UXQx3r5y4IWuyh
		1xaRnojEZQ9a5HRZSNtvmZ9NY1f1gutYa4UtcZcbvczN8b/5Bqge16cPUH1v62JKLlhoAJwRkH1wU6fbyOudERg5gdXA971b
		tR+Q2V8GKbVbO5fGKL5phmEPVXyMsrfjLdzQrgjOTxN8Pf6iuP+WFPvfnR9lDmNCFxJUVAdLIMnLuAdxf1TGcS+zzCzEE8bt
		IZ99mHFdGvPXeH8qLeNZA`
	mautrixEmptySession = `icDKYm0b4aO23WgUuOxdpPoxC0UlEOYPVeuduNH3IkpFsmnWx5KuEOpxGiZw5IuB/sSn2RZUCTiJ90IvgC7AClkYGHep9O8lp
		iqQX73XVKD9okZDCAkBc83eEq0DKYC7HBkGRAU/4T6QPIBBY3UK4QZwULLE/fLsi3j4YZBehMtnlsqgHK0q1bvX4cRznZItV
		KR4ro0O9EAk6LLxJtSnRu5elSUk7YXT`
)

// §4.2 libolm session pickles with asserted state (libolm test_session.cpp).
func TestVectorLibolmSessionPickles(t *testing.T) {
	key := []byte("secret_key")
	for _, p := range []string{libolmSessionV1, libolmSessionV2} {
		s, err := ImportLibolmSession(key, join(p))
		noErr(t, err)
		r := &s.ratchet
		check := func(name string, got []byte, want string) {
			t.Helper()
			if hex.EncodeToString(got) != want {
				t.Errorf("%s = %x", name, got)
			}
		}
		check("root key", r.rootKey[:], "49d640dc96b80176694af69fc4b8ca9fac49aecbd697d01fd8bee1ed2693b6c9")
		if !r.hasSender || len(r.receivers) != 0 || len(r.skipped) != 0 || s.receivedMessage {
			t.Fatalf("chains: sender %v, %d receivers, %d skipped, received %v", r.hasSender, len(r.receivers), len(r.skipped), s.receivedMessage)
		}
		check("ratchet public", r.sender.ratchetKey.public[:], "f77a03eaa9b301fa7d2a5aa6b50286906de12cc96044f526dbbcb12839ad7003")
		check("ratchet private", r.sender.ratchetKey.private[:], "d945c6ed4c7c277117adf11fb133a7936d287afe97c0b3ac989644b4490d4f31")
		if r.sender.chain.index != 0 {
			t.Errorf("chain index %d", r.sender.chain.index)
		}
		check("alice identity", s.aliceIdentityKey[:], "7326b58623a3f7bd8da11a1bab51f432c02a7430241b326e9fc8916a21eb257e")
		check("alice base", s.aliceBaseKey[:], "0ab4b30bde20bd374ceccc72861660f0fd046f7516900796c3e5de41c598316c")
		check("bob one-time", s.bobOneTimeKey[:], "585dba930b10d90d81702c715f4085d07c42b0cd2d676010bb6086c86c4cc618")
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
	s, err := ImportLibolmSession(nil, join(libolmSessionDecryptTest))
	noErr(t, err)
	if !s.receivedMessage || s.ratchet.hasSender || len(s.ratchet.receivers) != 1 || s.ratchet.receivers[0].chain.index != 1 {
		t.Fatalf("state: received %v, sender %v, receivers %+v", s.receivedMessage, s.ratchet.hasSender, s.ratchet.receivers)
	}
	before := sessionState(s)
	for _, h := range []string{
		"41776f",
		"7fff6f0101346d671201",
		"ee776f41496f674177804177778041776f6716670a677d6f670a67c2677d",
		"e9e9c9c1e9e9c9e9c9c1e9e9c9c1",
	} {
		for _, typ := range []MessageType{MessageTypePreKey, MessageTypeNormal} {
			_, err := s.Decrypt(Message{Type: typ, Body: b64.Encode(testdecode.Hex(t, h))})
			wantCode(t, err, errcode.BadMessage)
		}
	}
	sameState(t, "session", before, sessionState(s))
}

// §4.2 mautrix TestSessionPickle: an all-zero version-1 session decrypts
// and parses, but has no chains, so (like vodozemac) it is refused.
func TestVectorLibolmEmptySession(t *testing.T) {
	raw, err := libolmpickle.Decrypt([]byte("secret_key"), join(mautrixEmptySession))
	noErr(t, err)
	if len(raw) < 4 || raw[3] != 1 {
		t.Fatalf("not a version-1 session pickle")
	}
	_, err = ImportLibolmSession([]byte("secret_key"), join(mautrixEmptySession))
	wantCode(t, err, errcode.BadPickle)
	if !strings.Contains(err.Error(), "chain") {
		t.Errorf("unclear error: %v", err)
	}
	_, err = ImportLibolmSession([]byte("secret_key"), join(mautrixEmptySession)+"A")
	wantCode(t, err, errcode.BadPickle)
}

const (
	libolmAccountV1 = `x3h9er86ygvq56pM1yesdAxZou4ResPQC9Rszk/fhEL9JY/umtZ2N/foL/SUgVXSv0IxHHZTafYjDdzJU9xr8dQeBoOTGfV9
		E/lCqDGBnIlu7SZndqjEKXtzGyQr4sP4K/A/8TOu9iK2hDFszy6xETiousHnHgh2ZGbRUh4pQx+YMm8ZdNZeRnwFGLnrWyf9
		O5TmXua1FcU`
	libolmAccountV3 = `0mSqVn3duHffbhaTbFgW+4JPlcRoqT7z0x4mQ72N+g+eSAk5sgcWSoDzKpMazgcB46ItEpChthVHTGRA6PD3dly0dUs4ji7V
		tWTa+1tUv1UbxP92uYf1Ae3fomX0yAoHOjSrz1+RmuXr+At8jsmsf260sKvhB6LnI3qYsrw6AAtpgk5d5xZd66sLxvvYUuai
		+SmmcmT0bHosLTuDiiB9amBvPKkUKtKZmaEAl5ULrgnJygp1/FnwzVfSrw6PBSX6ZaUEZHZGX1iI6/WjbHqlTQeOQjtaSsPa
		L5XXpteS9dFsuaANAj+8ks7Ut2Hwg/JPIh/ERYBwiMh9Mt3zSAG0NkvgUkcdipKxoSNZ6t+TkqZrN6jG6VCbx+4YpJO24iJb
		ShZy8n79aePIgIsxX94ycsTq1ic38sCRSkWGVbCSRkPloHW7ZssLHA`
)

// §4.3 libolm account pickles, versions 1 and 3.
func TestVectorLibolmAccountOldVersions(t *testing.T) {
	_, err := ImportLibolmAccount(nil, join(libolmAccountV1))
	wantCode(t, err, errcode.BadPickle)
	if !strings.Contains(err.Error(), "version 1") {
		t.Errorf("unclear error: %v", err)
	}

	a, err := ImportLibolmAccount(nil, join(libolmAccountV3))
	noErr(t, err)
	st := a.FallbackKeyStatus()
	if len(st) != 1 || st[0].KeyID != "AAAAAQ" || st[0].PublicKey != "dr98y6VOWt6lJaQgFVZeWY2ky76mga9MEMbdItJTdng" ||
		!st[0].Current || st[0].Published.IsZero() {
		t.Errorf("fallback keys %+v", st)
	}
	if len(a.UnpublishedFallbackKey()) != 0 || a.OneTimeKeyCount() != 0 || a.lastKeyID != 1 {
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
	key := []byte("secret_key")
	a, err := ImportLibolmAccount(key, join(libolmAccountV4))
	noErr(t, err)
	if hex.EncodeToString(a.signingKey.Public()) != "edd9ea5fb5d9e56029339953bf9e2ff264a378ab0f75b03a46b50535401a6337" {
		t.Errorf("Ed25519 public %x", a.signingKey.Public())
	}
	expanded := "e8f56c7a9c286bce471b9c3c347e27d7ffd951f8cee499f41f72587fcffaff7ac4cf03608ee3ac580de68c7dc8dc137f904f20f987ee03cde349fadbdff8af14"
	if hex.EncodeToString(a.signingKey.Expanded()) != expanded || a.signingKey.Seed() != nil {
		t.Errorf("Ed25519 private %x", a.signingKey.Expanded())
	}
	// The expanded key is the clamped SHA-512 of the seed 50 00*31.
	seed := make([]byte, 32)
	seed[0] = 0x50
	fromSeed, _ := ed25519x.FromSeed(seed)
	if hex.EncodeToString(fromSeed.Expanded()) != expanded {
		t.Error("expanded key does not come from the seed 50 00*31")
	}
	if hex.EncodeToString(a.identityKey.public[:]) != "38c1d9867c3109b9f11af684f522debdc7c98850b99984f0c2301e9d4a01f300" ||
		hex.EncodeToString(a.identityKey.private[:]) != "50"+strings.Repeat("01", 31) {
		t.Errorf("Curve25519 %x / %x", a.identityKey.public, a.identityKey.private)
	}
	if a.OneTimeKeyCount() != 42 || a.lastKeyID != 42 || len(a.FallbackKeyStatus()) != 0 {
		t.Fatalf("%d one-time keys, last id %d, %d fallback keys", a.OneTimeKeyCount(), a.lastKeyID, len(a.FallbackKeyStatus()))
	}
	unpublished := a.UnpublishedOneTimeKeys()
	if len(unpublished) != 42 {
		t.Errorf("%d unpublished", len(unpublished))
	}
	for i, k := range a.oneTimeKeys.keys { // oldest first: ids 1..42
		id := uint32(i + 1)
		want := "50" + strings.Repeat(hex.EncodeToString([]byte{byte(id + 1)}), 31)
		if k.id != id || hex.EncodeToString(k.key.private[:]) != want {
			t.Errorf("key %d: id %d private %x", i, k.id, k.key.private)
		}
	}
	for id, pub := range map[string]string{
		keyIDString(42): "KUgxVzEbj/rLI5cx+Mhj4WVEy/uEc/07FT1vOvzIVT0",
		keyIDString(41): "eyo3e+lXWEwR+XBh4tVJ7zHZqNy0trDnTYpcOj65+gw",
		keyIDString(2):  "ldrCU9u54DOx4uC+25aDBbc04s1ydNuc469CpYQIGFI",
		keyIDString(1):  "14Wq40XqJS0/+1jvtUA2y6ZXUyHqz4iRR5kk732XRWo",
	} {
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

// libolmAccountV4 is the mautrix/go account_data_test.go pickle (docs/vectors.md §4.3).
const libolmAccountV4 = `b3jGWBenkTv6DJt90OX+H1ecoXQwihBjhdJHkAft49wS7ubT3Z0ta46p9PCnfKs+fOHeKhJzgfFcD5yCoatcpRzMHRri6V1d
	G/wMIu8nYvPPMZ8Dy5YlMBRGz0cpnOAhVoUzo/HtvyN8kgoYnZLzorVYepIqQcsLZAiG6qlztXepEflwNG619Rrk/zWYae5R
	Btxz9Cl0KCTj8cjY5J/SEKU+SCnj4n16wa+RfYXuLK/kBlE30uSWqQBInlLLYiSqOGjr8M0x+3A0eG0gYA+Aohwl5MbjQnDn
	iTbQeg1gh3VwWZ6kJCgRpLnT0j6oc6V4HjP0JjseHe0rBr6W9o88sl6wGmVEr2ZjlvcD6hoCK21A98UZF0GTwHrX0zV7OQtn
	5cmys3A1xdgcBAo/GXte1d2HzBXSmgrnXExK3Ij+BkZoQSuEFWSUCLjCUFQohK8TfraLZ5+9sOaV/5KaUxqdBTi6HUqoYymC
	HxzG7olo3hlh+GJ+iOy9tnofqDirISDIIL7KJ2zNJxYHWNZrAVNxHF3rPSrBw9Zl6M2Scm9PdDqnPgGZ+MSCrCnT6UrrfmWu
	rPahnXwdvPED9rykLtcy3aKFsB+RIezeoNdq/4d8sYVwFWd0w9HTXEYG1YY/Km2LiK/exaC98agPN4GXakCUHVZSfz59IZ3b
	H8jQdtZw2BPkVfNCUoTuUFzIk0LS3AtudCTiUaFdul9/Phj7TlvyvIKH8GUFRiV46fxMHJ9U0HGg6VAKtDR5qkB/nB1X8SWT
	mmZblR+jGOQvE6VCXSEoCdSyjYK+xtwlZsMHoFoci+NN/uxnrfoMd0D+TpNOyNFwdjn9hoS8kmqvMEyhae0Q5N4O7YwHiH/j
	Z9ruFTCMK10TeyFN3yxKiRKhiJkgd9bGnmHz25dm9EDkR4i1pXUFuSZCO7WPUX4aLiNMwcltW01EiTdvE7e2jgaoRguXI8gi
	mvOZ/d8kKZ8QIgKURZZHXmud93MOXL3sAy/aBU8dBMt+E5mVeoGM2fns8o5D9Yx3gZ6CgkzmzWinfj82qyc459OcyeyV/gug
	Et3FI28UBMRfghIV0juOGTAjkh6G3wIyZVk2G4rG0mYONrQQhmgKf06szNQXFBHQ2Pju4pY+QEAng3D2CfXFV6S2bUVeXN0f
	k46afsV84WPwYg77DWTuR81Ck2arbIcKGsSpMrETMY65rtEoMAcXLzmWgPsIXdo7k+aR4mWmcxjW5a10Wxc1knOi39x0M6gn
	YGbhmj6IxmalzVFOjG1ZtkFL5fs59nK42aP/JZ0SdtTJjJA0PkbEFL3YOmVtRUmizVtZk63JYuyCgw36XLscTb3VWVynLONY
	a1RPyRLaz8L5FkTVySCFb8gP9KtDipBpPdGIeD0MGRijAPLweB4iDkM6zv9Yu6dMijZgSR0g6LmjQZPcm1YfI9AK2ht86oKJ
	fvpj+UdYkK+wKKNzJKjKN08+mIKYbsumpbgKqx13d8sawKC4EfGAJHXsadat77Kp/ECCvhh7/i6gqWBHD0+I2LGiuQTr/Vd6
	OxAGmtyFOzdSGsfWm0cq78Lc6og7HTg3n7TbnEfJMaQktAI7vQYqnsvZV/KnfZ1elfPubFaFiHmCJzfkuk4X4y6r5A6FxpuE
	ltvrHRtecQ6FHLHsBSZrUg7Dei9urMonphUfEj4rsVOMlB3ZKiQ0unmWmacmFKkHm+WhpQtzLS57/iuGCdKiL8qWBiCz80bC
	QXQp1iwdScZ+pZQ5pwVABH0sr9YfQEz6+oMh3Kp5LiXJAy7kNEs20h4oMP1bc/gN+F5cRubHrz3sXHWpAXF/pNw862Lj7rL0
	PPOZdomgHSpmKybaQyJxemlxOP9eFw2r2aym/6jc4nQoR+1Mu1ijaroJ8MgZSwTKmru+xgJXnwLx8i76iRlze2F00iNOMg/p
	RtFQmWh/zLsKukFtIi2PgPKo8xNRQgYvB76x0jLaX3cllpu/pL4LIM2q0p+V9+FPBPCeinkDA7jQzy397vlOSbdECuPYaj2J
	mkH4zKbxdDlZffgfjWCLDFkqPc0Ixz8O1k24yfkqwG792anEValGM/Hnhdh3a24y4dTV28eo1SoJ6pD1yrjP2RNvgeqs2xEb
	KOxPywmmOjq0zc805cXBTjDOVyeSFiiY3yJ2GN33KXv67svXw/Ky0Nl9Epbk6xbSB5b76HPAjJ1gZXEUE2zeRTVVOAWzrCER
	UUjcccz1ozde//rOjzEt+3fxdrq/oglOMW5Ge7ddo/a5lDRs10G3KHreT1sZz9NmA0U7VOQDwwosmt1AYB1LPg3HM2mwi8ah
	bZf62K1o/W450RWuG072u1unrCYBNYYArN4lnE11L5LvxctFT8qwbBPD1rHAs+Pr4GKQkTWOmUM7wS59GGWE3UEDrntj1Our
	5NNto7bjK05h33GRF+Vge1+8EfZ+eL2aikjeq/5dU/cN2aw5v3FCkrXzXbIX4YQMw0nu+MbbqXzmPAa7ibS5z0puTYiVs/iM
	C0ElMSbp9l65iosfVE+kjlF5QDVJaZoW1rTJ8ACo3zOIH6tv515OPvcxDl08nqw/eH37g/bridClsFlJu8aS8Up6Pxzx7hIj
	NukoDG/wm9qwN/tGgOhZaotzSQEmJTHy7rWc/tamPEJvzZ0Ev99FAlu816Q/HSSk//y8ZriufU5kvYgz0jVeotTShi5LQK30
	EDTZtjSxE2eJjpRwAmyD6iQwQQiQkVj5inBB6FbF9u1iVhgVsoQ52YEN5id809NSFasmjJ+szJm0E0e6WMfU3tX1j4nPiIdq
	V7XF8E01pTIZRBmJVUIeiq7XBb5fARjFBveFwwC/Ck3XykYz7CVQJsGOfk6VqlOzzcKhDOivDsVUPbtWJZgP3qC3sJp0dZV1
	c1BcDHUVbi8HC81F4zobEQGUOyTFsfeiiLUOHvBsveLt87EYpYe2rwjdnEVN5IU3NG2spMc0C7DeEiovv6GCdWgpoHHwPknS
	42Yv1ltjoDSrlgVF6nXyFXfVWN9CkZoOsEvoUEXGrHnLMT2RPJIWwZFGWXnHs+WKkEfFJbXJvUfTMlPM+hPOIaurwkKmJqh3
	cCzIGezzWFfSqM7Lv9Fth9FR1QiUcyK2eg1yc7F3lpicxf86RdcbNZD8Wep1uLA0/5zQYmiHA2ZUBFgpN0KanmykSWMHirsB
	XF4ixwsduRvo4YqqgIMLDrQInJMt5xvHTwHhKMgSOdpReDwM8zYYBV7ukon3cUEo8pwKuXCLs++DNU40bIyP7bpB4rL2Bm0o
	jNxsTsQwHO/vqXIDPPsyUEtd6J/JuL364XSP9yE5lnk2g5j3rA7uaq/DpA7m1PO+dE0nZcduFH+5OMC/tMZK1PK0Uc3z7LwI
	aaOzLBraqm16PdJjLCo5YcQgL5GqXN20sznKrRApqq17gdNayaZoEqG1cO0HzmDcr39Ombh/KrbtYFPkBlNbs/9tjgSOgZ5/
	aWb/gA6lYzspsKdJN0JAD88uYYBY2+GqdJRB86OP+DRHVRrpHOuLkcWNKILmVN5WFljoQXBvtER2IML4GHZytus+E6o2HCq+
	5Sh5dJlCBKRHIbzs9XPlEWbcE6Z6inuR5zbVYb97VcOhaM83ZjZZGVfdyqX9QagQ7k7eP2Ifju7vZkhz+HHa1v94HeYRGEKZ
	vPRv2nPuzD1bOauwmhu0WKzYXXoSL40XdvSMNhGlKI65uxh6O1DoIJ8fiB3cFZjK2Li1gYMBzw7Mt8R2sSks3iKuiePX0JRT
	l0cBoiX7RmZuOlJet1HnUhbliS9vncRGZ/aRAL6VpQ5066/FoOq9ahWK+aSmxidcuRHqyIHhqJtUJrP/44vwDWBdZljgu4ys
	Qvv3Fd+reJ1T4BZlY2jWJK1YCtMQMR2TeEaD7c6a7FtoexX3wuWDEe7er55nE2dW8uRjrptSdpAHFXHnmHmjzhP5Mr+MMAbD
	cK+3YrnsKYnmSdQP1EYPQ8dyIuc07BpypOZLWFiZpRcLwx2mAp6wFULrPptCWfPCcOgzghBa9l8eVDm/zsfZcP1FP6/J8uSb
	AI5YUz61gcR8VG1DKCX2e5kIk2xoPB0DlRfltx8NlT2VjLz5xKyyyaq0GpE0EfUXu0q4s2Q9tpk`
