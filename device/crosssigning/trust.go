package crosssigning

import (
	"slices"

	"github.com/mxcrypto/mxcrypto/crypto/signing"
)

// Published are one user's cross-signing keys as a /keys/query answer gives
// them (master_keys, self_signing_keys, user_signing_keys), each nil when
// absent. The objects carry every signature the server holds for them.
type Published struct {
	Master, SelfSigning, UserSigning map[string]any
}

// PublicOf reads the one Ed25519 public key of a published key object of
// userID with this usage ("" when the object is missing or malformed: a
// key object must name its user, carry the usage and exactly one key,
// listed as "ed25519:<key>": <key>).
func PublicOf(obj map[string]any, userID, usage string) string {
	if obj == nil {
		return ""
	}
	if u, _ := obj["user_id"].(string); u != userID {
		return ""
	}
	usages, _ := obj["usage"].([]any)
	if !slices.Contains(usages, any(usage)) {
		return ""
	}
	keys, _ := obj["keys"].(map[string]any)
	if len(keys) != 1 {
		return ""
	}
	for id, v := range keys {
		pub, _ := v.(string)
		if id != "ed25519:"+pub || pub == "" {
			return ""
		}
		return pub
	}
	return ""
}

// SignedBy reports whether obj carries a valid signature by signerUser's
// cross-signing key signerPub.
func SignedBy(obj map[string]any, signerUser, signerPub string) bool {
	if obj == nil || signerPub == "" {
		return false
	}
	ok, err := signing.Verify(obj, signerUser, "ed25519:"+signerPub, signerPub)
	return err == nil && ok
}

// MasterKey is userID's published master public key ("" when none).
func (p Published) MasterKey(userID string) string { return PublicOf(p.Master, userID, Master) }

// SelfSigningKey is the self-signing public key when it is signed by the
// master key ("" otherwise).
func (p Published) SelfSigningKey(userID string) string {
	pub := PublicOf(p.SelfSigning, userID, SelfSigning)
	if pub == "" || !SignedBy(p.SelfSigning, userID, p.MasterKey(userID)) {
		return ""
	}
	return pub
}

// UserSigningKey is the user-signing public key when it is signed by the
// master key ("" otherwise).
func (p Published) UserSigningKey(userID string) string {
	pub := PublicOf(p.UserSigning, userID, UserSigning)
	if pub == "" || !SignedBy(p.UserSigning, userID, p.MasterKey(userID)) {
		return ""
	}
	return pub
}

// DeviceCrossSigned reports whether a device keys object of userID is
// signed by userID's self-signing key, itself signed by the master key.
func (p Published) DeviceCrossSigned(userID string, deviceKeys map[string]any) bool {
	return SignedBy(deviceKeys, userID, p.SelfSigningKey(userID))
}

// View is what trust is decided from: our own user's published keys and
// the master key we trust for ourselves (the one whose private half we
// hold or checked; "" when none), and the other user's published keys.
type View struct {
	Own              string
	OwnKeys          Published
	TrustedOwnMaster string
}

// OwnIdentityTrusted: our published master key is the one we trust.
func (v View) OwnIdentityTrusted() bool {
	m := v.OwnKeys.MasterKey(v.Own)
	return m != "" && m == v.TrustedOwnMaster
}

// UserVerified reports whether user's identity is verified: our own when
// its master key is the trusted one; another's when their master key is
// signed by our user-signing key (signed by our trusted master key).
func (v View) UserVerified(user string, keys Published) bool {
	if user == v.Own {
		return v.OwnIdentityTrusted()
	}
	if !v.OwnIdentityTrusted() {
		return false
	}
	usk := v.OwnKeys.UserSigningKey(v.Own)
	return keys.MasterKey(user) != "" && SignedBy(keys.Master, v.Own, usk)
}

// DeviceTrusted reports whether a device of user is trusted by
// cross-signing: signed by the user's self-signing key, whose master key
// is verified (UserVerified).
func (v View) DeviceTrusted(user string, keys Published, deviceKeys map[string]any) bool {
	if user == v.Own {
		keys = v.OwnKeys
	}
	return v.UserVerified(user, keys) && keys.DeviceCrossSigned(user, deviceKeys)
}
