package hmacsha256_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/hmacsha256"
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
	got := hmacsha256.Sum([]byte("Jefe"), []byte("what do ya want for nothing?"))
	want := unhex(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

// RFC 5869 §A.1 (test case 1).
func TestHKDFRFC5869(t *testing.T) {
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	salt := unhex(t, "000102030405060708090a0b0c")
	info := string(unhex(t, "f0f1f2f3f4f5f6f7f8f9"))
	want := unhex(t, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
	if got := hmacsha256.HKDF(ikm, salt, info, 42); !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}
