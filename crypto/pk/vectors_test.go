package pk_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// docs/vectors.md §1.1 (RFC 7748 keys, libolm test_crypto.cpp / test_pk.cpp),
// from testdata/vectors/x25519.json.
var (
	rfc7748      = vectors.MustX25519()
	alice7748    = rfc7748.Keys["rfc7748_alice"]
	bob7748      = rfc7748.Keys["rfc7748_bob"]
	alicePrivHex = hex.EncodeToString(alice7748.Private)
	alicePubHex  = hex.EncodeToString(alice7748.Public)
	alicePubB64  = alice7748.PublicB64
	bobPrivHex   = hex.EncodeToString(bob7748.Private)
	bobPubHex    = hex.EncodeToString(bob7748.Public)
	bobPubB64    = bob7748.PublicB64
	sharedHex    = hex.EncodeToString(rfc7748.Shared)
)

// docs/vectors.md §5.1: "This is a test" encrypted to Alice with Bob's key as the
// ephemeral key (testdata/vectors/backup.json pk_encryption).
var vector51 = pk.Message(vectors.MustBackup().PKEncryption.Message)

func TestVectorX25519PublicKeys(t *testing.T) {
	for _, v := range []struct{ priv, pub, pubB64 string }{
		{alicePrivHex, alicePubHex, alicePubB64},
		{bobPrivHex, bobPubHex, bobPubB64},
	} {
		pub, err := pk.PublicKey(testdecode.Hex(t, v.priv))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(pub) != v.pub {
			t.Errorf("PublicKey(%s) = %x, want %s", v.priv, pub, v.pub)
		}
		if got := base64.RawStdEncoding.EncodeToString(pub); got != v.pubB64 {
			t.Errorf("b64 = %s, want %s", got, v.pubB64)
		}
	}
}

// docs/vectors.md §1.2: RFC 5869 case 1, the HKDF pk builds on (standard library).
func TestVectorHKDF(t *testing.T) {
	v := vectors.RFC5869(t)
	h := hmac.New(sha256.New, v.Salt)
	h.Write(v.IKM)
	if got := h.Sum(nil); !bytes.Equal(got, v.PRK) {
		t.Errorf("HMAC = %x", got)
	}
	okm, err := hkdf.Key(sha256.New, v.IKM, v.Salt, string(v.Info), v.Length)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(okm, v.OKM) {
		t.Errorf("HKDF = %x", okm)
	}
}

func TestVectorEncryptWithEphemeral(t *testing.T) {
	m, err := pk.EncryptWithEphemeral(testdecode.Hex(t, alicePubHex), testdecode.Hex(t, bobPrivHex), []byte("This is a test"))
	if err != nil {
		t.Fatal(err)
	}
	if m != vector51 {
		t.Fatalf("got %+v, want %+v", m, vector51)
	}
}

func TestVectorDecrypt(t *testing.T) {
	pt, err := pk.Decrypt(testdecode.Hex(t, alicePrivHex), vector51)
	if err != nil || string(pt) != "This is a test" {
		t.Fatalf("got %q, %v", pt, err)
	}
	// Padded base64 in every field is accepted too.
	padded := pk.Message{
		Ciphertext: vector51.Ciphertext + "==",
		Ephemeral:  vector51.Ephemeral + "=",
		MAC:        vector51.MAC + "=",
	}
	pt, err = pk.Decrypt(testdecode.Hex(t, alicePrivHex), padded)
	if err != nil || string(pt) != "This is a test" {
		t.Fatalf("padded: got %q, %v", pt, err)
	}
}

// The §1.1 shared secret finishes the §5.1 decryption on its own.
func TestVectorDecryptShared(t *testing.T) {
	pt, err := pk.DecryptShared(testdecode.Hex(t, sharedHex), vector51)
	if err != nil || string(pt) != "This is a test" {
		t.Fatalf("got %q, %v", pt, err)
	}
}

func TestVectorDecryptRaw(t *testing.T) {
	mac, _ := base64.RawStdEncoding.DecodeString(vector51.MAC)
	ct, _ := base64.RawStdEncoding.DecodeString(vector51.Ciphertext)
	pt, err := pk.DecryptRaw(testdecode.Hex(t, sharedHex), mac, ct)
	if err != nil || string(pt) != "This is a test" {
		t.Fatalf("got %q, %v", pt, err)
	}
}

// The MAC is HMAC-SHA-256 of the empty string under the HKDF MAC key,
// truncated to 8 bytes (libolm's quirk), computed here independently.
func TestVectorMACQuirk(t *testing.T) {
	var salt [32]byte
	okm, err := hkdf.Key(sha256.New, testdecode.Hex(t, sharedHex), salt[:], "", 80)
	if err != nil {
		t.Fatal(err)
	}
	mac := pk.MacOf(okm[32:64])
	if got := base64.RawStdEncoding.EncodeToString(mac); got != vector51.MAC {
		t.Fatalf("MacOf = %s, want %s", got, vector51.MAC)
	}
	h := hmac.New(sha256.New, okm[32:64])
	if !bytes.Equal(mac, h.Sum(nil)[:8]) {
		t.Fatal("MacOf is not HMAC(key, \"\")[:8]")
	}
}

func TestRoundTrip(t *testing.T) {
	priv := pk.GenerateKey()
	pub, err := pk.PublicKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 100, 1000} {
		pt := bytes.Repeat([]byte{'x'}, n)
		m, err := pk.Encrypt(pub, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.MAC) != 11 || len(m.Ephemeral) != 43 || strings.HasSuffix(m.Ciphertext, "=") {
			t.Fatalf("wire form %+v", m)
		}
		back, err := pk.Decrypt(priv, m)
		if err != nil || !bytes.Equal(back, pt) {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
	a, _ := pk.Encrypt(pub, []byte("same"))
	b, _ := pk.Encrypt(pub, []byte("same"))
	if a.Ephemeral == b.Ephemeral {
		t.Fatal("ephemeral key reused")
	}
}

func TestDecryptErrors(t *testing.T) {
	alice := testdecode.Hex(t, alicePrivHex)
	bob := testdecode.Hex(t, bobPrivHex)
	zero32 := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	// u = 1 is a point of small order on Curve25519: the shared secret is 0.
	one := make([]byte, 32)
	one[0] = 1
	with := func(f func(m *pk.Message)) pk.Message { m := vector51; f(&m); return m }
	for _, v := range []struct {
		name string
		key  []byte
		m    pk.Message
		want errcode.Code
	}{
		{"wrong key", bob, vector51, errcode.WrongKey},
		{"short key", alice[:31], vector51, errcode.BadInput},
		{"long key", append(append([]byte{}, alice...), 0), vector51, errcode.BadInput},
		{"nil key", nil, vector51, errcode.BadInput},
		{"ephemeral not base64", alice, with(func(m *pk.Message) { m.Ephemeral = "!!!!" }), errcode.BadBase64},
		{"ephemeral short", alice, with(func(m *pk.Message) { m.Ephemeral = "3p7bfXt9wbTTW2HC7OQ1Nz" }), errcode.BadInput},
		{"ephemeral empty", alice, with(func(m *pk.Message) { m.Ephemeral = "" }), errcode.BadInput},
		{"ephemeral zero point", alice, with(func(m *pk.Message) { m.Ephemeral = zero32 }), errcode.BadMessage},
		{"ephemeral order-1 point", alice, with(func(m *pk.Message) { m.Ephemeral = base64.RawStdEncoding.EncodeToString(one) }), errcode.BadMessage},
		{"mac not base64", alice, with(func(m *pk.Message) { m.MAC = "zpzU6BkZcN!" }), errcode.BadBase64},
		{"mac altered", alice, with(func(m *pk.Message) { m.MAC = "zpzU6BkZcNA" }), errcode.WrongKey},
		{"mac empty", alice, with(func(m *pk.Message) { m.MAC = "" }), errcode.BadInput},
		{"mac too long", alice, with(func(m *pk.Message) { m.MAC = vector51.MAC + "AAAA" }), errcode.BadInput},
		{"ciphertext not base64", alice, with(func(m *pk.Message) { m.Ciphertext = "ntk49j/KozVFtSqJXhCej*" }), errcode.BadBase64},
		{"ciphertext empty", alice, with(func(m *pk.Message) { m.Ciphertext = "" }), errcode.BadMessage},
		{"ciphertext truncated", alice, with(func(m *pk.Message) { m.Ciphertext = "ntk49j/KozVFtSqJXhCe" }), errcode.BadMessage},
		// The MAC does not cover the ciphertext (the libolm quirk), so a
		// damaged ciphertext is caught by the padding check, if at all.
		{"ciphertext damaged", alice, with(func(m *pk.Message) { m.Ciphertext = "ntk49j/KozVFtSqJXhCeig" }), errcode.BadMessage},
	} {
		pt, err := pk.Decrypt(v.key, v.m)
		if err == nil {
			t.Errorf("%s: decrypted to %q", v.name, pt)
			continue
		}
		if code := errcode.Of(err); code != v.want {
			t.Errorf("%s: code %s, want %s (%v)", v.name, code, v.want, err)
		}
	}
}

func TestEncryptErrors(t *testing.T) {
	bob := testdecode.Hex(t, bobPrivHex)
	alicePub := testdecode.Hex(t, alicePubHex)
	if _, err := pk.EncryptWithEphemeral(alicePub[:31], bob, nil); errcode.Of(err) != errcode.BadInput {
		t.Errorf("short public key: %v", err)
	}
	if _, err := pk.EncryptWithEphemeral(make([]byte, 32), bob, nil); errcode.Of(err) != errcode.BadInput {
		t.Errorf("low-order public key: %v", err)
	}
	if _, err := pk.EncryptWithEphemeral(alicePub, bob[:16], nil); errcode.Of(err) != errcode.BadInput {
		t.Errorf("short ephemeral key: %v", err)
	}
	if _, err := pk.PublicKey(make([]byte, 33)); errcode.Of(err) != errcode.BadInput {
		t.Errorf("PublicKey of 33 bytes: %v", err)
	}
}
