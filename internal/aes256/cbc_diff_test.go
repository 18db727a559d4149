package aes256

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"
)

// stdCBC is the reference: crypto/aes (table or hardware AES, fine in a
// test) in CBC mode with PKCS#7 padding.
func stdCBC(key, iv, plaintext []byte) []byte {
	pad := BlockSize - len(plaintext)%BlockSize
	out := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return out
}

func TestEncryptCBCMatchesStdlib(t *testing.T) {
	for n := 0; n < 300; n += 5 {
		key := make([]byte, KeySize)
		iv := make([]byte, BlockSize)
		pt := make([]byte, n)
		rand.Read(key)
		rand.Read(iv)
		rand.Read(pt)
		checkCBC(t, key, iv, pt)
	}
}

func checkCBC(t *testing.T, key, iv, pt []byte) {
	t.Helper()
	got, err := EncryptCBC(key, iv, pt)
	if err != nil {
		t.Fatal(err)
	}
	if want := stdCBC(key, iv, pt); !bytes.Equal(got, want) {
		t.Fatalf("EncryptCBC differs from crypto/aes for %d bytes", len(pt))
	}
	back, err := DecryptCBC(key, iv, got)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("DecryptCBC does not invert EncryptCBC for %d bytes: %v", len(pt), err)
	}
}

// FuzzCBC: encryption against crypto/aes, decryption of arbitrary
// ciphertext against crypto/aes plus the padding rule.
func FuzzCBC(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 16), []byte("hello"))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 16), bytes.Repeat([]byte{16}, 32))
	f.Fuzz(func(t *testing.T, key, iv, data []byte) {
		if len(key) != KeySize || len(iv) != BlockSize {
			if _, err := EncryptCBC(key, iv, data); err == nil {
				t.Fatal("bad key or IV length accepted")
			}
			return
		}
		checkCBC(t, key, iv, data)
		if len(data) == 0 || len(data)%BlockSize != 0 {
			return
		}
		raw := make([]byte, len(data))
		std, _ := aes.NewCipher(key)
		cipher.NewCBCDecrypter(std, iv).CryptBlocks(raw, data)
		got, err := DecryptCBC(key, iv, data)
		pad := int(raw[len(raw)-1])
		valid := pad >= 1 && pad <= BlockSize && bytes.Equal(raw[len(raw)-pad:], bytes.Repeat([]byte{byte(pad)}, pad))
		if valid != (err == nil) || (valid && !bytes.Equal(got, raw[:len(raw)-pad])) {
			t.Fatalf("DecryptCBC: valid=%v err=%v", valid, err)
		}
	})
}
