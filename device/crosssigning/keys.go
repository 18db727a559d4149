// Package crosssigning holds a user's three cross-signing Ed25519 keys
// (master, self-signing, user-signing), builds the bodies that publish them
// (/keys/device_signing/upload) and the signatures made with them
// (/keys/signatures/upload), and decides trust from published keys and
// signatures (trust.go). Signatures are Matrix signed JSON over canonical
// JSON (crypto/signing); a cross-signing key signs as "ed25519:<its public
// key>", a device as "ed25519:<device id>".
package crosssigning

import (
	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Secret-storage names of the private keys (each the unpadded base64 of
// the 32-byte Ed25519 seed).
const (
	MasterSecret      = "m.cross_signing.master"
	SelfSigningSecret = "m.cross_signing.self_signing"
	UserSigningSecret = "m.cross_signing.user_signing"
)

// Usages of the three keys, as in the key objects' "usage".
const (
	Master      = "master"
	SelfSigning = "self_signing"
	UserSigning = "user_signing"
)

// SecretNames lists the three secrets in the order of Usages.
var (
	SecretNames = []string{MasterSecret, SelfSigningSecret, UserSigningSecret}
	Usages      = []string{Master, SelfSigning, UserSigning}
)

// Keys are the three private keys of one user. A nil key is not held.
type Keys struct {
	Master, SelfSigning, UserSigning *signing.PrivateKey
}

// Generate makes three new keys.
func Generate() *Keys {
	return &Keys{Master: signing.GenerateKey(), SelfSigning: signing.GenerateKey(), UserSigning: signing.GenerateKey()}
}

// FromSecrets rebuilds keys from their secret-storage values (unpadded or
// padded base64 seeds); an empty value leaves that key out.
func FromSecrets(master, selfSigning, userSigning string) (*Keys, error) {
	k := &Keys{}
	for i, s := range []string{master, selfSigning, userSigning} {
		if s == "" {
			continue
		}
		seed, err := b64.DecodeLen(s, signing.SeedSize, SecretNames[i])
		if err != nil {
			return nil, err
		}
		key, err := signing.KeyFromSeed(seed)
		clear(seed)
		if err != nil {
			return nil, err
		}
		*k.slot(i) = key
	}
	return k, nil
}

func (k *Keys) slot(i int) **signing.PrivateKey {
	switch i {
	case 0:
		return &k.Master
	case 1:
		return &k.SelfSigning
	}
	return &k.UserSigning
}

// Key returns the key for a usage (nil when not held).
func (k *Keys) Key(usage string) *signing.PrivateKey {
	for i, u := range Usages {
		if u == usage {
			return *k.slot(i)
		}
	}
	return nil
}

// Secret is the secret-storage value of the key for a usage ("" when not held).
func (k *Keys) Secret(usage string) string {
	key := k.Key(usage)
	if key == nil {
		return ""
	}
	seed := key.Seed()
	defer clear(seed)
	if seed == nil {
		return ""
	}
	return b64.Encode(seed)
}

// PublicKey is the unpadded base64 public key of priv.
func PublicKey(priv *signing.PrivateKey) string { return b64.Encode(priv.Public()) }

// KeyObject is the unsigned published form of a cross-signing key.
func KeyObject(userID, usage, public string) map[string]any {
	return map[string]any{
		"user_id": userID,
		"usage":   []any{usage},
		"keys":    map[string]any{"ed25519:" + public: public},
	}
}

// SignAs signs obj with a cross-signing key, as userID's "ed25519:<public>".
func SignAs(obj map[string]any, userID string, priv *signing.PrivateKey) error {
	if priv == nil {
		return errcode.New(errcode.BadInput, "no signing key")
	}
	_, err := signing.Sign(obj, userID, "ed25519:"+PublicKey(priv), priv)
	return err
}

// DeviceSigningUpload is the body of POST /keys/device_signing/upload: the
// three public keys, the self-signing and user-signing ones signed by the
// master key. The caller adds "auth" (user-interactive auth).
func DeviceSigningUpload(userID string, k *Keys) (map[string]any, error) {
	if k.Master == nil || k.SelfSigning == nil || k.UserSigning == nil {
		return nil, errcode.New(errcode.BadInput, "all three cross-signing keys are needed")
	}
	master := KeyObject(userID, Master, PublicKey(k.Master))
	self := KeyObject(userID, SelfSigning, PublicKey(k.SelfSigning))
	user := KeyObject(userID, UserSigning, PublicKey(k.UserSigning))
	if err := SignAs(self, userID, k.Master); err != nil {
		return nil, err
	}
	if err := SignAs(user, userID, k.Master); err != nil {
		return nil, err
	}
	return map[string]any{"master_key": master, "self_signing_key": self, "user_signing_key": user}, nil
}

// SignaturesUpload builds the body of POST /keys/signatures/upload from
// signed objects: user → key id (a device id or a public key) → the object
// with (only) the new signatures. Unsigned members are dropped.
func SignaturesUpload(signed map[string]map[string]map[string]any) ([]byte, error) {
	body := map[string]any{}
	for user, byKey := range signed {
		u := map[string]any{}
		for id, obj := range byKey {
			clean := make(map[string]any, len(obj))
			for k, v := range obj {
				if k != "unsigned" {
					clean[k] = v
				}
			}
			u[id] = clean
		}
		body[user] = u
	}
	return canonicaljson.Encode(body)
}

// Wipe clears the private keys held by k.
func (k *Keys) Wipe() {
	if k == nil {
		return
	}
	for _, key := range []*signing.PrivateKey{k.Master, k.SelfSigning, k.UserSigning} {
		if key != nil {
			key.Wipe()
		}
	}
	k.Master, k.SelfSigning, k.UserSigning = nil, nil, nil
}
