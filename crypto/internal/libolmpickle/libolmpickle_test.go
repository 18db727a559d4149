package libolmpickle

import (
	"bytes"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// docs/vectors.md §5.1: libolm's PkDecryption pickle (version 1) of Alice's key,
// pickle key "secret_key".
func TestPkDecryptionPickleVector(t *testing.T) {
	const pickle = "qx37WTQrjZLz5tId/uBX9B3/okqAbV1ofl9UnHKno1eipByCpXleAAlAZoJgYnCDOQZDQWzo3luTSfkF9pU1mOILCbbouubs6TVeDyPfgGD9i86J8irHjA"
	raw, err := Decrypt([]byte("secret_key"), pickle)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(raw)
	if v := r.U32(); v != 1 {
		t.Fatalf("version %d", v)
	}
	pub := r.Bytes(32)
	priv := r.Bytes(32)
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	derived, _ := pk.PublicKey(priv)
	if !bytes.Equal(derived, pub) {
		t.Fatal("public key does not match private key")
	}
	again, err := Encrypt([]byte("secret_key"), raw)
	if err != nil || again != pickle {
		t.Fatalf("re-encrypting gives %q, %v", again, err)
	}
	if _, err := Decrypt([]byte("other"), pickle); errcode.Of(err) != errcode.WrongKey {
		t.Fatal("wrong key:", err)
	}
	if _, err := Decrypt([]byte("secret_key"), pickle[:20]); errcode.Of(err) != errcode.BadPickle {
		t.Fatal("truncated:", err)
	}
	r = NewReader(raw[:10])
	r.U32()
	r.Bytes(32)
	if errcode.Of(r.Finish()) != errcode.BadPickle {
		t.Fatal("short raw pickle accepted")
	}
}
