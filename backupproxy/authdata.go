package backupproxy

import (
	"strings"

	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// SignedByOwnDevice reports whether authData carries a valid signature by one
// of userID's own devices, taking device keys from a /keys/query answer. A
// device's key counts only if the device object is self-signed by it and
// names this user and device, so a homeserver answer cannot slip in a key
// the device never published.
func SignedByOwnDevice(authData map[string]any, userID string, keysQuery []byte) bool {
	sigs, _ := authData["signatures"].(map[string]any)
	mine, _ := sigs[userID].(map[string]any)
	if len(mine) == 0 {
		return false
	}
	answer, err := jsonvalue.ParseObject(keysQuery)
	if err != nil {
		return false
	}
	deviceKeys, _ := answer["device_keys"].(map[string]any)
	devices, _ := deviceKeys[userID].(map[string]any)
	for _, keyID := range sortedKeys(mine) {
		deviceID, ok := strings.CutPrefix(keyID, "ed25519:")
		if !ok {
			continue
		}
		pub, ok := deviceSigningKey(devices[deviceID], userID, deviceID)
		if !ok {
			continue
		}
		if valid, err := signing.Verify(authData, userID, keyID, pub); err == nil && valid {
			return true
		}
	}
	return false
}

// deviceSigningKey returns a device's Ed25519 key if its device-keys object
// is well formed and self-signed.
func deviceSigningKey(v any, userID, deviceID string) (string, bool) {
	dev, ok := v.(map[string]any)
	if !ok || dev["user_id"] != userID || dev["device_id"] != deviceID {
		return "", false
	}
	keys, _ := dev["keys"].(map[string]any)
	pub, _ := keys["ed25519:"+deviceID].(string)
	if pub == "" {
		return "", false
	}
	valid, err := signing.Verify(dev, userID, "ed25519:"+deviceID, pub)
	return pub, err == nil && valid
}
