package accelcheck_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
	"github.com/mxcrypto/mxcrypto/crypto/internal/x25519"
	"github.com/mxcrypto/mxcrypto/internal/accel"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
)

// stdHost answers with Go's standard library (a stand-in for node:crypto)
// and counts its calls; declining makes it refuse everything.
type stdHost struct {
	calls     map[string]int
	declining bool
}

func (h *stdHost) X25519(scalar, point []byte) (out [32]byte, ok bool) {
	h.calls["x25519"]++
	if h.declining {
		return out, false
	}
	k, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return out, false
	}
	p, err := ecdh.X25519().NewPublicKey(point)
	if err != nil {
		return out, false
	}
	s, err := k.ECDH(p) // refuses an all-zero result, as OpenSSL does
	if err != nil {
		return out, false
	}
	return [32]byte(s), true
}

func (h *stdHost) Ed25519Sign(seed, public, msg []byte) (sig [64]byte, ok bool) {
	h.calls["ed25519"]++
	if h.declining {
		return sig, false
	}
	return [64]byte(ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg)), true
}

func (h *stdHost) AES256CBC(encrypt bool, key, iv, data, out []byte) bool {
	h.calls["aes"]++
	if h.declining {
		return false
	}
	b, _ := aes.NewCipher(key)
	if encrypt {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	}
	return true
}

type results struct {
	pub, shared, sig, ct, pt, mac, shortMAC []byte
	lowOrderErr                             bool
}

func compute(t *testing.T, seed, scalar, point, key, iv, msg []byte) results {
	t.Helper()
	var r results
	r.pub, _ = x25519.PublicKey(scalar)
	r.shared, _ = x25519.SharedSecret(scalar, point)
	_, err := x25519.SharedSecret(scalar, make([]byte, 32))
	r.lowOrderErr = err != nil
	k, _ := ed25519x.FromSeed(seed)
	r.sig = k.Sign(msg)
	r.ct, _ = aes256.EncryptCBC(key, iv, msg)
	r.pt, _ = aes256.DecryptCBC(key, iv, r.ct)
	r.mac = hmacsha256.Sum(key, msg)
	r.shortMAC = hmacsha256.Sum(key, msg[:3])
	return r
}

// The same results with and without a host, and with one that declines;
// the host is asked for every X25519, seed-key signature and AES-CBC.
func TestHostGivesSameResults(t *testing.T) {
	defer accel.Use(nil)
	rnd := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	for i := 0; i < 20; i++ {
		seed, scalar, point, key, iv, msg := rnd(32), rnd(32), rnd(32), rnd(32), rnd(16), rnd(300+i*7)
		accel.Use(nil)
		want := compute(t, seed, scalar, point, key, iv, msg)
		for _, declining := range []bool{false, true} {
			h := &stdHost{calls: map[string]int{}, declining: declining}
			accel.Use(h)
			got := compute(t, seed, scalar, point, key, iv, msg)
			accel.Use(nil)
			for name, pair := range map[string][2][]byte{
				"public": {want.pub, got.pub}, "shared": {want.shared, got.shared}, "signature": {want.sig, got.sig},
				"ciphertext": {want.ct, got.ct}, "plaintext": {want.pt, got.pt}, "mac": {want.mac, got.mac}, "short mac": {want.shortMAC, got.shortMAC},
			} {
				if !bytes.Equal(pair[0], pair[1]) {
					t.Fatalf("declining=%v: %s differs with a host", declining, name)
				}
			}
			if !got.lowOrderErr || !want.lowOrderErr {
				t.Fatal("a low-order point must be an error with and without a host")
			}
			if h.calls["x25519"] != 3 || h.calls["ed25519"] != 1 || h.calls["aes"] != 2 {
				t.Fatalf("host calls %v, want x25519 3, ed25519 1, aes 2", h.calls)
			}
		}
	}
}

func TestExpandedKeysSignInGo(t *testing.T) {
	defer accel.Use(nil)
	k := ed25519x.Generate()
	exp, err := ed25519x.FromExpanded(k.Expanded())
	if err != nil {
		t.Fatal(err)
	}
	h := &stdHost{calls: map[string]int{}}
	accel.Use(h)
	sig := exp.Sign([]byte("m"))
	if h.calls["ed25519"] != 0 {
		t.Fatal("a key without a seed went to the host")
	}
	if !ed25519.Verify(k.Public(), []byte("m"), sig) {
		t.Fatal("bad signature")
	}
}
