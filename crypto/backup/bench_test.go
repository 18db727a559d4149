package backup

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

var benchPlain = []byte(`{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4","session_key":"AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E","sender_claimed_keys":{"ed25519":"R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4"},"forwarding_curve25519_key_chain":[]}`)

func BenchmarkDecrypt(b *testing.B) {
	priv := pk.GenerateKey()
	pub, _ := PublicKey(priv)
	m, _ := Encrypt(pub, benchPlain)
	for b.Loop() {
		if _, err := Decrypt(priv, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkX25519(b *testing.B) {
	priv := pk.GenerateKey()
	pub, _ := pk.PublicKey(priv)
	for b.Loop() {
		sharedSecret(priv, b64.Encode(pub))
	}
}

func BenchmarkDecryptShared(b *testing.B) {
	priv := pk.GenerateKey()
	pub, _ := PublicKey(priv)
	m, _ := Encrypt(pub, benchPlain)
	shared, _ := sharedSecret(priv, m.Ephemeral)
	for b.Loop() {
		if _, err := DecryptShared(shared, m); err != nil {
			b.Fatal(err)
		}
	}
}
