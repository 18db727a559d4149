//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/errcode"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
)

func secretStorageAPI() js.Value {
	return object(map[string]any{
		// createKey without a passphrase; the loader handles the passphrase
		// case with _newPassphraseInfo, deriveKey and _describeKey.
		"_createRandomKey": Async("secretStorage.createKey", func(a *Args) Work {
			name := a.OptString(0, "name", "")
			return func() (any, error) { return describeKey(pk.GenerateKey(), name, nil) }
		}),
		"_newPassphraseInfo": Async("secretStorage.createKey", func(a *Args) Work {
			iterations := a.OptInt(0, "iterations", passphrase.DefaultIterations)
			return func() (any, error) {
				if err := passphrase.CheckParams(iterations, passphrase.DefaultBits); err != nil {
					return nil, err
				}
				return ssss.PassphraseInfo{Algorithm: passphrase.Algorithm, Salt: passphrase.NewSalt(32), Iterations: iterations, Bits: passphrase.DefaultBits}, nil
			}
		}),
		"_describeKey": Async("secretStorage.createKey", func(a *Args) Work {
			key := a.Bytes(0, "key", ssss.KeySize)
			name := a.OptString(1, "name", "")
			info := a.JSON(2, "passphraseInfo")
			return func() (any, error) {
				var p ssss.PassphraseInfo
				if err := decodeJSON(info, &p); err != nil {
					return nil, errcode.Wrap(errcode.BadInput, err, "passphrase info")
				}
				return describeKey(key, name, &p)
			}
		}),
		"checkKey": Async("secretStorage.checkKey", func(a *Args) Work {
			key := a.Bytes(0, "key", ssss.KeySize)
			infoJSON := a.JSON(1, "keyInfo")
			return func() (any, error) {
				var info ssss.KeyInfo
				if err := decodeJSON(infoJSON, &info); err != nil {
					return nil, errcode.Wrap(errcode.BadInput, err, "keyInfo is not a key description")
				}
				return ssss.CheckKey(key, info)
			}
		}),
		"encrypt": Async("secretStorage.encrypt", func(a *Args) Work {
			secret := a.String(0, "secret")
			key := a.Bytes(1, "key", ssss.KeySize)
			name := a.String(2, "name")
			return func() (any, error) { return ssss.Encrypt(key, name, []byte(secret)) }
		}),
		"decrypt": Async("secretStorage.decrypt", func(a *Args) Work {
			encJSON := a.JSON(0, "encrypted")
			key := a.Bytes(1, "key", ssss.KeySize)
			name := a.String(2, "name")
			return func() (any, error) {
				var e ssss.Encrypted
				if err := decodeJSON(encJSON, &e); err != nil {
					return nil, errcode.Wrap(errcode.BadInput, err, "encrypted must be {iv, ciphertext, mac} strings")
				}
				pt, err := ssss.Decrypt(key, name, e)
				return string(pt), err
			}
		}),
		"encryptCurve25519": Async("secretStorage.encryptCurve25519", func(a *Args) Work {
			secret := a.String(0, "secret")
			pub := a.String(1, "publicKey")
			return func() (any, error) { return ssss.EncryptCurve25519(pub, []byte(secret)) }
		}),
		"decryptCurve25519": Async("secretStorage.decryptCurve25519", func(a *Args) Work {
			encJSON := a.JSON(0, "encrypted")
			priv := a.Bytes(1, "privateKey", pk.KeySize)
			return func() (any, error) {
				m, err := decodeMessage(encJSON)
				if err != nil {
					return nil, err
				}
				pt, err := ssss.DecryptCurve25519(priv, m)
				return string(pt), err
			}
		}),
	})
}

func describeKey(key []byte, name string, pass *ssss.PassphraseInfo) (any, error) {
	info, err := ssss.NewKeyInfo(key, name, pass)
	if err != nil {
		return nil, err
	}
	rk, err := recoverykey.Encode(key)
	if err != nil {
		return nil, err
	}
	return map[string]any{"keyId": ssss.NewKeyID(), "key": key, "keyInfo": info, "recoveryKey": rk}, nil
}

func decodeMessage(data []byte) (pk.Message, error) {
	var m pk.Message
	if err := decodeJSON(data, &m); err != nil {
		return m, errcode.Wrap(errcode.BadInput, err, "encrypted must be {ciphertext, ephemeral, mac} strings")
	}
	return m, nil
}
