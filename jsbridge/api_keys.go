//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/passphrase"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
)

func recoveryKeyAPI() js.Value {
	return object(map[string]any{
		"encode": Async("recoveryKey.encode", func(a *Args) Work {
			key := a.Secret(0, "key", recoverykey.KeySize)
			return func() (any, error) { return recoverykey.Encode(key) }
		}),
		"decode": Async("recoveryKey.decode", func(a *Args) Work {
			text := a.String(0, "text")
			return func() (any, error) {
				key, err := recoverykey.Decode(text)
				if err != nil {
					return nil, err
				}
				return SecretBytes(key), nil
			}
		}),
	})
}

func passphraseAPI() js.Value {
	return object(map[string]any{
		// The loader calls this only when the host has no WebCrypto PBKDF2.
		"_deriveKey": Async("passphrase.deriveKey", func(a *Args) Work {
			pass := a.String(0, "passphrase")
			salt := a.String(1, "salt")
			iterations := a.Int(2, "iterations")
			bits := a.OptInt(3, "bits", passphrase.DefaultBits)
			return func() (any, error) {
				key, err := passphrase.DeriveKey(pass, salt, iterations, bits)
				if err != nil {
					return nil, err
				}
				return SecretBytes(key), nil
			}
		}),
		"_checkParams": Async("passphrase.deriveKey", func(a *Args) Work {
			iterations := a.Int(0, "iterations")
			bits := a.OptInt(1, "bits", passphrase.DefaultBits)
			return func() (any, error) { return nil, passphrase.CheckParams(iterations, bits) }
		}),
	})
}

func canonicalJSON(a *Args) Work {
	v := a.Any(0, "value")
	return func() (any, error) {
		out, err := canonicaljson.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(out), nil
	}
}

func signingAPI() js.Value {
	return object(map[string]any{
		"verify": Async("signing.verify", func(a *Args) Work {
			obj := a.JSON(0, "object")
			userID := a.String(1, "userId")
			keyID := a.String(2, "keyId")
			pub := a.String(3, "publicKey")
			return func() (any, error) {
				o, err := signing.ParseObject(obj)
				if err != nil {
					return nil, err
				}
				return signing.Verify(o, userID, keyID, pub)
			}
		}),
	})
}
