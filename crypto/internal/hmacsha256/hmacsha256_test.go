package hmacsha256

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 4231 §4.3 (test case 2).
func TestSumRFC4231(t *testing.T) {
	got := Sum([]byte("Jefe"), []byte("what do ya want for nothing?"))
	want := unhex(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

// RFC 5869 §A.1 (test case 1), testdata/vectors/hkdf.json.
func TestHKDFRFC5869(t *testing.T) {
	v := vectors.RFC5869(t)
	if got := Sum(v.Salt, v.IKM); !bytes.Equal(got, v.PRK) {
		t.Fatalf("HMAC: got %x, want %x", got, v.PRK)
	}
	if got := HKDF(v.IKM, v.Salt, string(v.Info), v.Length); !bytes.Equal(got, v.OKM) {
		t.Fatalf("got %x, want %x", got, v.OKM)
	}
}

// The package's own SHA-256, HMAC and HKDF against the standard library,
// for lengths around every block boundary and keys longer than a block.
func TestOwnMatchesStdlib(t *testing.T) {
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*31 + 7)
	}
	for n := 0; n <= len(buf); n++ {
		d := digest{h: initial}
		d.write(buf[:n/3])
		d.write(buf[n/3 : n])
		if got, want := d.sum(), sha256.Sum256(buf[:n]); got != want {
			t.Fatalf("sha256 of %d bytes: got %x, want %x", n, got, want)
		}
		key := buf[len(buf)-1-n/2:]
		if got, want := ownSum(key, buf[:n]), GoSum(key, buf[:n]); !bytes.Equal(got, want) {
			t.Fatalf("hmac, key %d bytes, message %d: got %x, want %x", len(key), n, got, want)
		}
		for _, size := range []int{1, 32, 64, 80, 97} {
			if got, want := ownHKDF(buf[:n], key, "info", size), GoHKDF(buf[:n], key, "info", size); !bytes.Equal(got, want) {
				t.Fatalf("hkdf ikm %d salt %d size %d: got %x, want %x", n, len(key), size, got, want)
			}
		}
	}
	if got, want := ownHKDF([]byte("k"), nil, "", 80), GoHKDF([]byte("k"), nil, "", 80); !bytes.Equal(got, want) {
		t.Fatal("hkdf with no salt differs")
	}
}

func BenchmarkHKDF80(b *testing.B) {
	ikm := make([]byte, 128)
	salt := make([]byte, 32)
	for b.Loop() {
		HKDF(ikm, salt, "MEGOLM_KEYS", 80)
	}
}

func BenchmarkSum1KiB(b *testing.B) {
	key, msg := make([]byte, 32), make([]byte, 1024)
	for b.Loop() {
		Sum(key, msg)
	}
}
