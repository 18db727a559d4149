package aes256

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
	"gitlab.com/yawning/bsaes.git/ct64"
)

// The vector of docs/vectors.md §1.4.
func TestCTRVector(t *testing.T) {
	v := vectors.AESCTR(t)
	pt, err := XORKeyStreamCTR(v.Key, v.IV, v.Ciphertext)
	if err != nil || string(pt) != v.Plaintext {
		t.Fatalf("got %q, %v", pt, err)
	}
}

// The bitsliced paths are what runs under wasm; natively bsaes picks AES-NI,
// so test the bulk code directly against the standard library.
func TestBulkPathsMatchStdlib(t *testing.T) {
	key := make([]byte, 32)
	iv := make([]byte, 16)
	rand.Read(key)
	rand.Read(iv)
	iv[8] = 0xff // exercise carries through the low half
	for i := 9; i < 16; i++ {
		iv[i] = 0xff
	}
	std, _ := aes.NewCipher(key)
	for _, b := range []bulk{ct64.NewCipher(key).(bulk)} {
		for n := 1; n < 300; n += 7 {
			src := make([]byte, n*16)
			rand.Read(src)
			want := make([]byte, len(src))
			cipher.NewCBCDecrypter(std, iv).CryptBlocks(want, src)
			got := make([]byte, len(src))
			decryptCBCBulk(b, iv, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("CBC bulk decrypt (stride %d) differs at %d blocks", b.Stride(), n)
			}
		}
	}
}

func TestCBCRoundTripAndPadding(t *testing.T) {
	key := make([]byte, 32)
	iv := make([]byte, 16)
	rand.Read(key)
	for n := 0; n < 70; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		ct, err := EncryptCBC(key, iv, pt)
		if err != nil || len(ct)%16 != 0 || len(ct) <= n {
			t.Fatal(n, err)
		}
		back, err := DecryptCBC(key, iv, ct)
		if err != nil || !bytes.Equal(back, pt) {
			t.Fatal(n, err)
		}
	}
	if _, err := DecryptCBC(key, iv, make([]byte, 15)); errcode.Of(err) != errcode.BadMessage {
		t.Fatal("truncated ciphertext:", err)
	}
	// A bad last block almost always breaks the padding.
	ct, _ := EncryptCBC(key, iv, []byte("hello"))
	ct[len(ct)-1] ^= 0x55
	if _, err := DecryptCBC(key, iv, ct); errcode.Of(err) != errcode.BadMessage {
		t.Fatal("bad padding:", err)
	}
}

func TestUnpad(t *testing.T) {
	for pad := 0; pad <= 17; pad++ {
		b := make([]byte, 32)
		for i := 0; i < pad && i < 32; i++ {
			b[31-i] = byte(pad)
		}
		n, ok := unpad(b)
		wantOK := pad >= 1 && pad <= 16
		if ok != wantOK || (ok && n != 32-pad) {
			t.Fatalf("pad %d: n=%d ok=%v", pad, n, ok)
		}
	}
	b := make([]byte, 16)
	b[15], b[14], b[13] = 3, 3, 2
	if _, ok := unpad(b); ok {
		t.Fatal("inconsistent padding accepted")
	}
}

func TestCTRMatchesStdlib(t *testing.T) {
	key := make([]byte, 32)
	iv := make([]byte, 16)
	rand.Read(key)
	rand.Read(iv)
	std, _ := aes.NewCipher(key)
	bitsliced := ct64.NewCipher(key)
	for n := 0; n < 200; n += 13 {
		src := make([]byte, n)
		rand.Read(src)
		want := make([]byte, n)
		cipher.NewCTR(std, iv).XORKeyStream(want, src)
		got, err := XORKeyStreamCTR(key, iv, src)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatal("CTR differs", n, err)
		}
		if !bytes.Equal(ctr(bitsliced, iv, src), want) {
			t.Fatal("bitsliced CTR differs", n)
		}
	}
}
