package aes256

import "testing"

// Megolm and Olm encrypt one message per fresh key: key schedule included.
func BenchmarkEncryptCBC1KiB(b *testing.B) {
	key, iv, pt := make([]byte, KeySize), make([]byte, BlockSize), make([]byte, 1024)
	for b.Loop() {
		EncryptCBC(key, iv, pt)
	}
}

func BenchmarkDecryptCBC1KiB(b *testing.B) {
	key, iv, pt := make([]byte, KeySize), make([]byte, BlockSize), make([]byte, 1024)
	ct, _ := EncryptCBC(key, iv, pt)
	for b.Loop() {
		DecryptCBC(key, iv, ct)
	}
}
