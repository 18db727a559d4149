package crosssigning

import (
	"encoding/json"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/signing"
)

const (
	alice = "@alice:example.org"
	bob   = "@bob:example.org"
)

// published is what a server would list for a user after DeviceSigningUpload.
func published(t *testing.T, user string, k *Keys) Published {
	t.Helper()
	body, err := DeviceSigningUpload(user, k)
	if err != nil {
		t.Fatal(err)
	}
	return Published{
		Master:      body["master_key"].(map[string]any),
		SelfSigning: body["self_signing_key"].(map[string]any),
		UserSigning: body["user_signing_key"].(map[string]any),
	}
}

func deviceKeys(user, dev string) map[string]any {
	k := signing.GenerateKey()
	return map[string]any{"user_id": user, "device_id": dev, "algorithms": []any{"m.olm.v1.curve25519-aes-sha2"},
		"keys": map[string]any{"ed25519:" + dev: PublicKey(k)}}
}

func TestUploadSignedByMaster(t *testing.T) {
	k := Generate()
	p := published(t, alice, k)
	if p.MasterKey(alice) != PublicKey(k.Master) || p.SelfSigningKey(alice) != PublicKey(k.SelfSigning) || p.UserSigningKey(alice) != PublicKey(k.UserSigning) {
		t.Fatal("published keys do not match")
	}
	if p.MasterKey(bob) != "" {
		t.Fatal("a key object of alice read as bob's")
	}
	// A self-signing key not signed by the master key is not used.
	forged := KeyObject(alice, SelfSigning, PublicKey(signing.GenerateKey()))
	if (Published{Master: p.Master, SelfSigning: forged}).SelfSigningKey(alice) != "" {
		t.Fatal("unsigned self-signing key accepted")
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	k := Generate()
	back, err := FromSecrets(k.Secret(Master), k.Secret(SelfSigning), "")
	if err != nil {
		t.Fatal(err)
	}
	if PublicKey(back.Master) != PublicKey(k.Master) || PublicKey(back.SelfSigning) != PublicKey(k.SelfSigning) || back.UserSigning != nil {
		t.Fatal("round trip changed the keys")
	}
	if _, err := FromSecrets("not base64!", "", ""); err == nil {
		t.Fatal("bad secret accepted")
	}
}

func TestTrust(t *testing.T) {
	ak, bk := Generate(), Generate()
	ap, bp := published(t, alice, ak), published(t, bob, bk)
	view := View{Own: alice, OwnKeys: ap, TrustedOwnMaster: PublicKey(ak.Master)}

	own := deviceKeys(alice, "A2")
	if view.DeviceTrusted(alice, ap, own) {
		t.Fatal("own device trusted before it is signed")
	}
	if err := SignAs(own, alice, ak.SelfSigning); err != nil {
		t.Fatal(err)
	}
	if !view.DeviceTrusted(alice, ap, own) {
		t.Fatal("own cross-signed device not trusted")
	}
	if (View{Own: alice, OwnKeys: ap}).DeviceTrusted(alice, ap, own) {
		t.Fatal("trusted without a trusted master key")
	}

	theirs := deviceKeys(bob, "B1")
	SignAs(theirs, bob, bk.SelfSigning)
	if !bp.DeviceCrossSigned(bob, theirs) || view.DeviceTrusted(bob, bp, theirs) {
		t.Fatal("bob's device trusted before bob is verified")
	}
	SignAs(bp.Master, alice, ak.UserSigning)
	if !view.UserVerified(bob, bp) || !view.DeviceTrusted(bob, bp, theirs) {
		t.Fatal("bob's cross-signed device not trusted after verification")
	}
	unsigned := deviceKeys(bob, "B2")
	if view.DeviceTrusted(bob, bp, unsigned) {
		t.Fatal("a device bob did not sign is trusted")
	}
	// A signature by a user-signing key that our master did not sign counts for nothing.
	rogue := Generate()
	bp2 := published(t, bob, bk)
	SignAs(bp2.Master, alice, rogue.UserSigning)
	if view.UserVerified(bob, bp2) {
		t.Fatal("verified by a rogue user-signing key")
	}
}

func TestSignaturesUploadDropsUnsigned(t *testing.T) {
	obj := map[string]any{"a": "b", "unsigned": map[string]any{"x": "y"}}
	k := signing.GenerateKey()
	if _, err := signing.Sign(obj, alice, "ed25519:X", k); err != nil {
		t.Fatal(err)
	}
	body, err := SignaturesUpload(map[string]map[string]map[string]any{alice: {"X": obj}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got[alice]["X"]["unsigned"]; ok {
		t.Fatal("unsigned kept")
	}
}

// FuzzPublished: any key objects from a server decide trust without panicking.
func FuzzPublished(f *testing.F) {
	k := Generate()
	body, _ := DeviceSigningUpload(alice, k)
	seed, _ := json.Marshal(body)
	f.Add(seed)
	f.Add([]byte(`{"master_key":{"user_id":"@alice:example.org","usage":["master"],"keys":{"ed25519:x":"x"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := signing.ParseObject(data)
		if err != nil {
			return
		}
		obj := func(n string) map[string]any { m, _ := o[n].(map[string]any); return m }
		p := Published{Master: obj("master_key"), SelfSigning: obj("self_signing_key"), UserSigning: obj("user_signing_key")}
		v := View{Own: alice, OwnKeys: p, TrustedOwnMaster: p.MasterKey(alice)}
		v.DeviceTrusted(alice, p, obj("device"))
		v.UserVerified(bob, p)
		_ = p.UserSigningKey(alice)
	})
}
