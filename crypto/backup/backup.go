// Package backup is server-side Megolm key backup,
// m.megolm_backup.v1.curve25519-aes-sha2 (MSC1219): each room key's session
// data is encrypted to the backup's Curve25519 public key with package pk, so
// it carries pk's MAC quirk (the MAC covers the empty string; a MAC mismatch
// means a wrong key, nothing more).
package backup

import (
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Algorithm is the backup version's algorithm name.
const Algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

// EncryptedSessionData is the session_data field of a KeyBackupData record.
type EncryptedSessionData = pk.Message

// PublicKey returns the unpadded base64 public key for auth_data.public_key.
func PublicKey(privateKey []byte) (string, error) {
	pub, err := pk.PublicKey(privateKey)
	if err != nil {
		return "", err
	}
	return b64.Encode(pub), nil
}

// Encrypt encrypts session data (a JSON object, the BackedUpSessionData) to
// the backup public key given in unpadded or padded base64.
func Encrypt(publicKey string, sessionData []byte) (EncryptedSessionData, error) {
	pub, err := b64.DecodeLen(publicKey, pk.KeySize, "public key")
	if err != nil {
		return EncryptedSessionData{}, err
	}
	if !isJSONObject(sessionData) {
		return EncryptedSessionData{}, errcode.New(errcode.BadInput, "session data must be a JSON object")
	}
	return pk.Encrypt(pub, sessionData)
}

// EncryptShared is Encrypt with the X25519 step done elsewhere (see
// pk.EncryptShared).
func EncryptShared(shared, ephemeralPublic, sessionData []byte) (EncryptedSessionData, error) {
	if !isJSONObject(sessionData) {
		return EncryptedSessionData{}, errcode.New(errcode.BadInput, "session data must be a JSON object")
	}
	return pk.EncryptShared(shared, ephemeralPublic, sessionData)
}

// Decrypt returns the session data, checked to be a JSON object.
func Decrypt(privateKey []byte, m EncryptedSessionData) ([]byte, error) {
	pt, err := pk.Decrypt(privateKey, m)
	if err != nil {
		return nil, err
	}
	return checkPlaintext(pt)
}

func checkPlaintext(pt []byte) ([]byte, error) {
	if !isJSONObject(pt) {
		return nil, errcode.New(errcode.BadMessage, "decrypted session data is not a JSON object: the backup entry is corrupt")
	}
	return pt, nil
}

func isJSONObject(b []byte) bool { return jsonvalue.IsObject(b) }
