package crosssigning_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/device/crosssigning"
)

// Bootstrapping cross-signing and deciding a device's trust from what the
// server would publish.
func Example() {
	const alice = "@alice:example.org"
	keys := crosssigning.Generate()
	defer keys.Wipe()

	// The body of POST /keys/device_signing/upload (the caller adds "auth").
	body, err := crosssigning.DeviceSigningUpload(alice, keys)
	if err != nil {
		panic(err)
	}
	published := crosssigning.Published{
		Master:      body["master_key"].(map[string]any),
		SelfSigning: body["self_signing_key"].(map[string]any),
		UserSigning: body["user_signing_key"].(map[string]any),
	}

	// A device of Alice's, as /keys/query lists it, signed by her
	// self-signing key.
	device := map[string]any{
		"user_id":    alice,
		"device_id":  "PHONE",
		"algorithms": []any{"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"},
		"keys":       map[string]any{"ed25519:PHONE": "dGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgb2theQ"},
	}
	unsigned := map[string]any{}
	for k, v := range device {
		unsigned[k] = v
	}
	if err := crosssigning.SignAs(device, alice, keys.SelfSigning); err != nil {
		panic(err)
	}

	view := crosssigning.View{Own: alice, OwnKeys: published, TrustedOwnMaster: crosssigning.PublicKey(keys.Master)}
	fmt.Println("own identity trusted:", view.OwnIdentityTrusted())
	fmt.Println("signed device trusted:", view.DeviceTrusted(alice, published, device))
	fmt.Println("unsigned device trusted:", view.DeviceTrusted(alice, published, unsigned))

	// A master key we never checked: nothing is trusted.
	view.TrustedOwnMaster = ""
	fmt.Println("without a trusted master key:", view.DeviceTrusted(alice, published, device))
	// Output:
	// own identity trusted: true
	// signed device trusted: true
	// unsigned device trusted: false
	// without a trusted master key: false
}
