//go:build js && wasm

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"syscall/js"

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
				return passphraseInfoJS(&ssss.PassphraseInfo{Algorithm: passphrase.Algorithm, Salt: passphrase.NewSalt(32), Iterations: iterations, Bits: passphrase.DefaultBits}), nil
			}
		}),
		"_describeKey": Async("secretStorage.createKey", func(a *Args) Work {
			key := a.Secret(0, "key", ssss.KeySize)
			name := a.OptString(1, "name", "")
			info := a.JSON(2, "passphraseInfo")
			return func() (any, error) {
				o, err := jsonvalue.ParseAsObject(info, "passphraseInfo")
				if err != nil {
					return nil, err
				}
				p := passphraseInfo(o)
				if err := o.Err(); err != nil {
					return nil, err
				}
				return describeKey(key, name, p)
			}
		}),
		"checkKey": Async("secretStorage.checkKey", func(a *Args) Work {
			key := a.Secret(0, "key", ssss.KeySize)
			infoJSON := a.JSON(1, "keyInfo")
			return func() (any, error) {
				info, err := keyInfoArg(infoJSON, "keyInfo")
				if err != nil {
					return nil, err
				}
				return ssss.CheckKey(key, info)
			}
		}),
		"encrypt": Async("secretStorage.encrypt", func(a *Args) Work {
			secret := a.String(0, "secret")
			key := a.Secret(1, "key", ssss.KeySize)
			name := a.String(2, "name")
			return func() (any, error) {
				e, err := ssss.Encrypt(key, name, []byte(secret))
				return aesHmacJS(e), err
			}
		}),
		"decrypt": Async("secretStorage.decrypt", func(a *Args) Work {
			encJSON := a.JSON(0, "encrypted")
			key := a.Secret(1, "key", ssss.KeySize)
			name := a.String(2, "name")
			return func() (any, error) {
				e, err := aesHmacArg(encJSON, "encrypted")
				if err != nil {
					return nil, err
				}
				pt, err := ssss.Decrypt(key, name, e)
				return string(pt), err
			}
		}),
		"encryptCurve25519": Async("secretStorage.encryptCurve25519", func(a *Args) Work {
			secret := a.String(0, "secret")
			pub := a.String(1, "publicKey")
			return func() (any, error) {
				m, err := ssss.EncryptCurve25519(pub, []byte(secret))
				return pkMessageJS(m), err
			}
		}),
		"decryptCurve25519": Async("secretStorage.decryptCurve25519", func(a *Args) Work {
			encJSON := a.JSON(0, "encrypted")
			priv := a.Secret(1, "privateKey", pk.KeySize)
			return func() (any, error) {
				m, err := pkMessageArg(encJSON, "encrypted")
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
	return map[string]any{"keyId": ssss.NewKeyID(), "key": key, "keyInfo": keyInfoJS(info), "recoveryKey": rk}, nil
}
