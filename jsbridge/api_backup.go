//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
)

func backupAPI() js.Value {
	return object(map[string]any{
		"createKey": Async("backup.createKey", func(a *Args) Work {
			return func() (any, error) {
				priv := pk.GenerateKey()
				pub, err := backup.PublicKey(priv)
				return map[string]any{"privateKey": SecretBytes(priv), "publicKey": pub}, err
			}
		}),
		"publicKey": Async("backup.publicKey", func(a *Args) Work {
			priv := a.Secret(0, "privateKey", pk.KeySize)
			return func() (any, error) { return backup.PublicKey(priv) }
		}),
		"encrypt": Async("backup.encrypt", func(a *Args) Work {
			pub := a.String(0, "publicKey")
			data := a.JSON(1, "sessionData")
			return func() (any, error) {
				m, err := backup.Encrypt(pub, data)
				return pkMessageJS(m), err
			}
		}),
		"decrypt": Async("backup.decrypt", func(a *Args) Work {
			priv := a.Secret(0, "privateKey", pk.KeySize)
			encJSON := a.JSON(1, "encrypted")
			return func() (any, error) {
				m, err := pkMessageArg(encJSON, "encrypted")
				if err != nil {
					return nil, err
				}
				pt, err := backup.Decrypt(priv, m)
				return RawJSON(pt), err
			}
		}),
		// The whole restore in Go; the loader uses it when the host has no
		// WebCrypto X25519.
		"_decryptMany": Async("backup.decryptMany", func(a *Args) Work {
			priv := a.Secret(0, "privateKey", pk.KeySize)
			body := a.JSON(1, "roomKeys")
			onProgress := a.Func(2, "onProgress")
			return func() (any, error) {
				var progress func(done, total int)
				if !onProgress.IsUndefined() {
					progress = func(done, total int) { onProgress.Invoke(done, total) }
				}
				r, err := backup.DecryptMany(priv, body, progress)
				if err != nil {
					return nil, err
				}
				return decryptManyJS(r), nil
			}
		}),
		"_decryptSharedBatch": Async("backup.decryptMany", decryptSharedBatch),
	})
}
