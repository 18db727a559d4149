// Package signing signs and verifies Matrix signed JSON: an Ed25519 signature
// over the canonical JSON of an object without its "signatures" and
// "unsigned" members, stored at signatures[entity][keyID].
package signing

import (
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// SigningBytes returns the bytes a signature covers.
func SigningBytes(obj map[string]any) ([]byte, error) {
	rest := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "signatures" && k != "unsigned" {
			rest[k] = v
		}
	}
	return canonicaljson.Encode(rest)
}

// Verify reports whether obj carries a valid signature by publicKey (unpadded
// base64 Ed25519) at signatures[userID][keyID]. A missing or malformed
// signature is simply false; a malformed public key is an input error.
func Verify(obj map[string]any, userID, keyID, publicKey string) (bool, error) {
	pub, err := b64.DecodeLen(publicKey, ed25519x.PublicSize, "public key")
	if err != nil {
		return false, err
	}
	sigs, _ := obj["signatures"].(map[string]any)
	byUser, _ := sigs[userID].(map[string]any)
	sigText, _ := byUser[keyID].(string)
	if sigText == "" {
		return false, nil
	}
	sig, err := b64.Decode(sigText)
	if err != nil || len(sig) != ed25519x.SignatureSize {
		return false, nil
	}
	msg, err := SigningBytes(obj)
	if err != nil {
		return false, err
	}
	// Strict: small-order and non-canonical keys are refused (as vodozemac does).
	return ed25519x.Verify(pub, msg, sig), nil
}

// Sign adds a signature by priv at signatures[entity][keyID] and returns it.
func Sign(obj map[string]any, entity, keyID string, priv *PrivateKey) (string, error) {
	msg, err := SigningBytes(obj)
	if err != nil {
		return "", err
	}
	sig := b64.Encode(priv.Sign(msg))
	sigs, _ := obj["signatures"].(map[string]any)
	if sigs == nil {
		sigs = map[string]any{}
		obj["signatures"] = sigs
	}
	byEntity, _ := sigs[entity].(map[string]any)
	if byEntity == nil {
		byEntity = map[string]any{}
		sigs[entity] = byEntity
	}
	byEntity[keyID] = sig
	return sig, nil
}

// ParseObject parses a JSON object keeping numbers exact.
func ParseObject(data []byte) (map[string]any, error) {
	return jsonvalue.ParseObject(data)
}
