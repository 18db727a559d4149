package device

import (
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"strconv"
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/store"
)

// StoreSecret encrypts secret under the secret-storage key keyID/key and
// returns the account-data content to PUT as type name:
// {"encrypted": {keyID: {iv, ciphertext, mac}}}. The secret is also kept in
// the local store, so this device can answer requests for it.
func (d *Device) StoreSecret(name, secret, keyID string, key []byte) ([]byte, error) {
	if name == "" || keyID == "" {
		return nil, badInput("secret name and key id are required")
	}
	if err := checkSecret(name, secret); err != nil {
		return nil, err
	}
	enc, err := ssss.Encrypt(key, name, []byte(secret))
	if err != nil {
		return nil, err
	}
	out, err := encode(map[string]any{"encrypted": map[string]any{
		keyID: map[string]any{"iv": enc.IV, "ciphertext": enc.Ciphertext, "mac": enc.MAC},
	}})
	if err != nil {
		return nil, err
	}
	if err := d.st.Update(func(tx *store.Tx) error { return tx.Put(store.SecretKey(name), []byte(secret)) }); err != nil {
		return nil, err
	}
	return out, nil
}

// GetSecret decrypts the secret name from its account-data content with
// the secret-storage key keyID/key ("" picks the only entry) and keeps it
// locally. A wrong key is BAD_MAC. The m.megolm_backup.v1 secret is
// returned as unpadded base64 even when it was stored in the legacy
// comma-separated form.
func (d *Device) GetSecret(name string, accountData []byte, keyID string, key []byte) (string, error) {
	secret, err := d.DecryptSecret(name, accountData, keyID, key)
	if err != nil {
		return "", err
	}
	if err := d.st.Update(func(tx *store.Tx) error { return tx.Put(store.SecretKey(name), []byte(secret)) }); err != nil {
		return "", err
	}
	return secret, nil
}

// DecryptSecret is GetSecret without keeping the secret locally (for a
// caller that stores several secrets together, or none).
func (d *Device) DecryptSecret(name string, accountData []byte, keyID string, key []byte) (string, error) {
	c, err := jsonvalue.ParseAsObject(accountData, "secret account data")
	if err != nil {
		return "", err
	}
	encrypted := c.Object("encrypted")
	if err := c.Err(); err != nil {
		return "", err
	}
	if keyID == "" {
		keys := encrypted.Keys()
		if len(keys) != 1 {
			return "", badInput("secret %s is encrypted with %d keys: say which key id to use", name, len(keys))
		}
		keyID = keys[0]
	}
	e, ok := encrypted.OptObject(keyID)
	if !ok {
		return "", errcode.New(errcode.WrongKey, "secret %s is not encrypted with key %s", name, keyID)
	}
	var plain []byte
	if e.Has("ephemeral") {
		m := pk.Message{Ciphertext: e.String("ciphertext"), Ephemeral: e.String("ephemeral"), MAC: e.String("mac")}
		if err := e.Err(); err != nil {
			return "", err
		}
		plain, err = ssss.DecryptCurve25519(key, m)
	} else {
		m := ssss.Encrypted{IV: e.String("iv"), Ciphertext: e.String("ciphertext"), MAC: e.String("mac")}
		if err := e.Err(); err != nil {
			return "", err
		}
		plain, err = ssss.Decrypt(key, name, m)
	}
	if err != nil {
		return "", errcode.Context(err, "secret "+name)
	}
	secret := string(plain)
	if name == BackupSecretName {
		k, err := decodeBackupSecret(secret)
		if err != nil {
			return "", err
		}
		secret = b64.Encode(k)
		clear(k)
	}
	return secret, nil
}

// LocalSecret returns a secret this device holds (the machine reads the
// cross-signing keys it keeps this way).
func (d *Device) LocalSecret(name string) (string, bool, error) {
	var s string
	var found bool
	err := d.st.View(func(tx *store.Tx) error {
		raw, ok, err := tx.Get(store.SecretKey(name))
		s, found = string(raw), ok
		return err
	})
	return s, found, err
}

func checkSecret(name, secret string) error {
	if secret == "" {
		return badInput("secret %s is empty", name)
	}
	if name == BackupSecretName {
		k, err := decodeBackupSecret(secret)
		clear(k)
		return err
	}
	return nil
}

// decodeBackupSecret reads the backup key secret: base64 of 32 bytes, or
// the comma-separated decimal bytes some old Element versions stored. The
// caller wipes the key after use; a failed decode leaves no partial copy.
func decodeBackupSecret(s string) ([]byte, error) {
	if strings.Contains(s, ",") {
		parts := strings.Split(s, ",")
		out := make([]byte, 0, len(parts)) // never regrown, so never copied
		for _, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 || n > 255 {
				clear(out)
				return nil, badInput("the backup key secret is neither base64 nor a list of byte values")
			}
			out = append(out, byte(n))
		}
		if len(out) != pk.KeySize {
			clear(out)
			return nil, badInput("the backup key secret has %d bytes, want %d", len(out), pk.KeySize)
		}
		return out, nil
	}
	return b64.DecodeLen(s, pk.KeySize, "backup key secret")
}
