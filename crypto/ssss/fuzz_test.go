package ssss_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && errcode.Of(err) == errcode.Internal {
		t.Fatalf("%s: error without a code: %v", what, err)
	}
}

func seedKey(text string) []byte {
	k, err := recoverykey.Decode(text)
	if err != nil {
		panic(err)
	}
	return k
}

// FuzzDecrypt: arbitrary key, name and fields. No panics; coded errors; a
// decryption is as long as the ciphertext. With a 32-byte key the fuzzed
// ciphertext text also goes through Encrypt → Decrypt as a secret.
func FuzzDecrypt(f *testing.F) {
	key1 := seedKey(key1RecoveryKey)
	rust := seedKey(rustRecoveryKey)
	alice := seedKey(vectors.JSSDKRecoveryKey(f))
	add := func(key []byte, name string, e ssss.Encrypted) { f.Add(key, name, e.IV, e.Ciphertext, e.MAC) }
	add(key1, "m.cross_signing.master", master61)
	add(key1, "m.cross_signing.self_signing", master61)
	for _, v := range crossSigning64 {
		add(rust, v.name, v.data)
	}
	add(alice, sessionID65, aesBackup65)
	utils := ssssFile.Utils.Secret
	add(seedKey(utils.RecoveryKey), utils.Name, ssss.Encrypted(utils.Encrypted))
	add(rust, crossSigning64[0].name, ssss.Encrypted{IV: ssssFile.Rust.EncryptedFields.BadIV, MAC: crossSigning64[0].data.MAC})
	add(nil, "", ssss.Encrypted{})
	f.Fuzz(func(t *testing.T, key []byte, name, iv, ciphertext, mac string) {
		pt, err := ssss.Decrypt(key, name, ssss.Encrypted{IV: iv, Ciphertext: ciphertext, MAC: mac})
		checkErr(t, "Decrypt", err)
		if err == nil {
			ct, _ := b64.Decode(ciphertext)
			if len(pt) != len(ct) {
				t.Fatalf("%d bytes of plaintext from %d of ciphertext", len(pt), len(ct))
			}
		}
		if len(key) != ssss.KeySize {
			return
		}
		e, err := ssss.Encrypt(key, name, []byte(ciphertext))
		if err != nil {
			t.Fatal(err)
		}
		back, err := ssss.Decrypt(key, name, e)
		if err != nil || !bytes.Equal(back, []byte(ciphertext)) {
			t.Fatalf("round trip: %q, %v", back, err)
		}
	})
}

// FuzzCheckKey: arbitrary key and key description JSON. No panics and coded
// errors; a description made for a 32-byte key accepts it.
func FuzzCheckKey(f *testing.F) {
	key1 := seedKey(key1RecoveryKey)
	key2 := seedKey(key2RecoveryKey)
	rust := seedKey(rustRecoveryKey)
	f.Add(key1, key1Info)
	f.Add(key2, key1Info)
	f.Add(key2, key2Info)
	info2 := mustKeyInfo(f, key2Info)
	f.Add(key2, `{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"`+ssssFile.Mautrix.Key2.LongIV+`","mac":"`+info2.MAC+`"}`)
	f.Add(key2, `{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"MeowMeowMeow","mac":"`+info2.MAC+`"}`)
	f.Add(key2, `{"algorithm":"m.secret_storage.v1.aes-hmac-sha2"}`)
	f.Add(rust, rustKeyInfo)
	f.Add(rust, rustPassInfo)
	f.Add(rust, `{"algorithm":"m.secret_storage.custom"}`)
	zc := ssssFile.JSSDKAESBackup.ZeroKeyCheck
	f.Add(make([]byte, 32), `{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"`+zc.IV+`","mac":"`+zc.MAC+`"}`)
	f.Add(seedKey(vectors.JSSDKRecoveryKey(f)), `{"algorithm":"m.secret_storage.v1.curve25519-aes-sha2","pubkey":"`+vectors.Key(f, "rfc7748_alice").PublicB64+`"}`)
	f.Add([]byte{}, `{}`)
	f.Fuzz(func(t *testing.T, key []byte, infoJSON string) {
		var info ssss.KeyInfo
		if json.Unmarshal([]byte(infoJSON), &info) != nil {
			return
		}
		_, err := ssss.CheckKey(key, info)
		checkErr(t, "CheckKey", err)
		if len(key) != ssss.KeySize {
			if err == nil {
				t.Fatalf("CheckKey accepted a key of %d bytes", len(key))
			}
			return
		}
		fresh, err := ssss.NewKeyInfo(key, info.Name, info.Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := ssss.CheckKey(key, fresh); !ok || err != nil {
			t.Fatalf("fresh description rejects its key: %v, %v", ok, err)
		}
	})
}
