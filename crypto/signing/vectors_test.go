package signing_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"
	"github.com/mxcrypto/mxcrypto/crypto/signing"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

func mustObject(t testing.TB, s string) map[string]any {
	t.Helper()
	obj, err := signing.ParseObject([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return obj
}

func pubB64(priv ed25519.PrivateKey) string {
	return base64.RawStdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
}

// asciiKey is an Ed25519 key whose 32-byte seed is an ASCII string, as the
// matrix-js-sdk test data makes them.
func asciiKey(seed string) ed25519.PrivateKey { return ed25519.NewKeyFromSeed([]byte(seed)) }

// xkey is the same key as signing.Sign takes it.
func xkey(priv ed25519.PrivateKey) *ed25519x.PrivateKey {
	k, err := ed25519x.FromSeed(priv.Seed())
	if err != nil {
		panic(err)
	}
	return k
}

// docs/vectors.md §2.2: the spec appendix signing examples
// (testdata/vectors/signing.json).
var (
	signingFile = vectors.MustSigning()
	specSeedB64 = signingFile.SpecAppendix.SeedB64

	specSignatures = func() (out []struct{ in, sig string }) {
		for _, c := range signingFile.SpecAppendix.Cases {
			out = append(out, struct{ in, sig string }{string(c.Object), c.Signature})
		}
		return out
	}()
)

func specKey(t testing.TB) ed25519.PrivateKey {
	seed, err := base64.RawStdEncoding.DecodeString(specSeedB64)
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("seed: %d bytes, %v", len(seed), err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func TestVector22Sign(t *testing.T) {
	priv := specKey(t)
	for _, v := range specSignatures {
		obj := mustObject(t, v.in)
		sig, err := signing.Sign(obj, "domain", "ed25519:1", xkey(priv))
		if err != nil {
			t.Fatal(err)
		}
		if sig != v.sig {
			t.Errorf("Sign(%s) = %s, want %s", v.in, sig, v.sig)
		}
		got := obj["signatures"].(map[string]any)["domain"].(map[string]any)["ed25519:1"]
		if got != v.sig {
			t.Errorf("signatures.domain[ed25519:1] = %v", got)
		}
		ok, err := signing.Verify(obj, "domain", "ed25519:1", pubB64(priv))
		if err != nil || !ok {
			t.Errorf("Verify(%s) = %v, %v", v.in, ok, err)
		}
	}
	// Go values rather than parsed JSON sign alike.
	obj := map[string]any{"two": "Two", "one": 1}
	if sig, err := signing.Sign(obj, "domain", "ed25519:1", xkey(priv)); err != nil || sig != specSignatures[1].sig {
		t.Errorf("Go map: %s, %v", sig, err)
	}
}

// docs/vectors.md §2.2 as published: signed objects verify.
func TestVector22Verify(t *testing.T) {
	pub := pubB64(specKey(t))
	for _, v := range specSignatures {
		obj := mustObject(t, v.in)
		obj["signatures"] = map[string]any{"domain": map[string]any{"ed25519:1": v.sig}}
		if ok, err := signing.Verify(obj, "domain", "ed25519:1", pub); err != nil || !ok {
			t.Errorf("%s: %v, %v", v.in, ok, err)
		}
	}
}

// docs/vectors.md §2.3: matrix-js-sdk crypto-test-data, keys from ASCII seeds
// (testdata/vectors/signing.json).
var (
	jssdk       = signingFile.JSSDK
	alice       = jssdk.UserID
	deviceSeed  = jssdk.Keys["device"].SeedText
	devicePub   = jssdk.Keys["device"].PublicB64
	masterSeed  = jssdk.Keys["master"].SeedText
	masterPub   = jssdk.Keys["master"].PublicB64
	selfSeed    = jssdk.Keys["self_signing"].SeedText
	selfPub     = jssdk.Keys["self_signing"].PublicB64
	userSeed    = jssdk.Keys["user_signing"].SeedText
	userSignPub = jssdk.Keys["user_signing"].PublicB64
)

type signed23 struct {
	name, json, keyID, pub, seed string
}

// vectors23: device keys, one-time key, self-signing key, user-signing key,
// backup auth_data.
var vectors23 = func() (out []signed23) {
	for _, v := range jssdk.Signed {
		k := jssdk.Keys[v.Signer]
		out = append(out, signed23{v.Name, string(v.Object), v.KeyID, k.PublicB64, k.SeedText})
	}
	return out
}()

func named23(name string) string {
	for _, v := range vectors23 {
		if v.name == name {
			return v.json
		}
	}
	panic("signing.json has no signed object " + name)
}

var (
	deviceKeys23     = named23("device keys")
	selfSigningKey23 = named23("self-signing key")
	userSigningKey23 = named23("user-signing key")
)

func TestVector23PublicKeys(t *testing.T) {
	for _, v := range []struct{ seed, pub string }{
		{deviceSeed, devicePub}, {masterSeed, masterPub}, {selfSeed, selfPub}, {userSeed, userSignPub},
	} {
		if got := pubB64(asciiKey(v.seed)); got != v.pub {
			t.Errorf("seed %q: public key %s, want %s", v.seed, got, v.pub)
		}
	}
}

func TestVector23Verify(t *testing.T) {
	for _, v := range vectors23 {
		obj := mustObject(t, v.json)
		ok, err := signing.Verify(obj, alice, v.keyID, v.pub)
		if err != nil || !ok {
			t.Errorf("%s: Verify = %v, %v", v.name, ok, err)
		}
	}
}

// Ed25519 is deterministic: signing the §2.3 objects again with the seeds
// gives the published signatures.
func TestVector23Resign(t *testing.T) {
	for _, v := range vectors23 {
		obj := mustObject(t, v.json)
		want := obj["signatures"].(map[string]any)[alice].(map[string]any)[v.keyID]
		delete(obj, "signatures")
		sig, err := signing.Sign(obj, alice, v.keyID, xkey(asciiKey(v.seed)))
		if err != nil || sig != want {
			t.Errorf("%s: Sign = %s, %v; want %s", v.name, sig, err, want)
		}
	}
}

// Tampering, other keys and other names make verification fail.
func TestVerifyNegative(t *testing.T) {
	dev := vectors23[0]
	check := func(name string, obj map[string]any, user, keyID, pub string) {
		t.Helper()
		ok, err := signing.Verify(obj, user, keyID, pub)
		if err != nil || ok {
			t.Errorf("%s: Verify = %v, %v; want false, nil", name, ok, err)
		}
	}
	obj := mustObject(t, dev.json)
	obj["device_id"] = "other_device"
	check("changed field", obj, alice, dev.keyID, dev.pub)

	obj = mustObject(t, dev.json)
	obj["extra"] = true
	check("added field", obj, alice, dev.keyID, dev.pub)

	check("wrong public key", mustObject(t, dev.json), alice, dev.keyID, masterPub)
	check("wrong key id", mustObject(t, dev.json), alice, "ed25519:other", dev.pub)
	check("wrong user", mustObject(t, dev.json), "@bob:localhost", dev.keyID, dev.pub)

	// A signature by one key under the self-signing object checked with
	// another object's data.
	self := mustObject(t, selfSigningKey23)
	user := mustObject(t, userSigningKey23)
	self["signatures"] = user["signatures"]
	check("signature of another object", self, alice, "ed25519:"+masterPub, masterPub)

	sig := func(s any) map[string]any {
		obj := mustObject(t, dev.json)
		obj["signatures"] = map[string]any{alice: map[string]any{dev.keyID: s}}
		return obj
	}
	check("signature not base64", sig("!!!"), alice, dev.keyID, dev.pub)
	devSig := mustObject(t, dev.json)["signatures"].(map[string]any)[alice].(map[string]any)[dev.keyID].(string)
	check("signature short", sig(devSig[:len(devSig)-2]), alice, dev.keyID, dev.pub)
	check("signature empty", sig(""), alice, dev.keyID, dev.pub)
	check("signature a number", sig(jsonvalue.Number("1")), alice, dev.keyID, dev.pub)
	check("signature altered", sig(devSig[:1]+"n"+devSig[2:]), alice, dev.keyID, dev.pub)

	obj = mustObject(t, dev.json)
	obj["signatures"] = "nope"
	check("signatures a string", obj, alice, dev.keyID, dev.pub)
	obj["signatures"] = map[string]any{alice: []any{}}
	check("signatures by user a list", obj, alice, dev.keyID, dev.pub)
	delete(obj, "signatures")
	check("no signatures", obj, alice, dev.keyID, dev.pub)
}

// "unsigned" and other signatures are not covered by a signature.
func TestVerifyIgnoresUnsignedAndOtherSignatures(t *testing.T) {
	obj := mustObject(t, deviceKeys23)
	obj["unsigned"] = map[string]any{"device_display_name": "Alice's phone"}
	obj["signatures"].(map[string]any)["@bob:localhost"] = map[string]any{"ed25519:X": "abc"}
	ok, err := signing.Verify(obj, alice, "ed25519:test_device", devicePub)
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	// Sign merges into existing signatures.
	if _, err := signing.Sign(obj, alice, "ed25519:"+masterPub, xkey(asciiKey(masterSeed))); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ keyID, pub string }{{"ed25519:test_device", devicePub}, {"ed25519:" + masterPub, masterPub}} {
		if ok, err := signing.Verify(obj, alice, v.keyID, v.pub); err != nil || !ok {
			t.Errorf("%s after a second signature: %v, %v", v.keyID, ok, err)
		}
	}
	if obj["signatures"].(map[string]any)["@bob:localhost"] == nil || obj["unsigned"] == nil {
		t.Error("Sign dropped other signatures or unsigned")
	}
}

func TestVerifyErrors(t *testing.T) {
	obj := mustObject(t, deviceKeys23)
	for _, pub := range []string{"", devicePub[:len(devicePub)-1], devicePub + "A"} {
		if _, err := signing.Verify(obj, alice, "ed25519:test_device", pub); errcode.Of(err) != errcode.BadInput {
			t.Errorf("public key %q: %v", pub, err)
		}
	}
	if _, err := signing.Verify(obj, alice, "ed25519:test_device", devicePub[:len(devicePub)-1]+"!"); errcode.Of(err) != errcode.BadBase64 {
		t.Errorf("public key not base64: %v", err)
	}
	// An object canonical JSON cannot encode cannot be verified (or signed).
	obj["float"] = jsonvalue.Number("1.5")
	if _, err := signing.Verify(obj, alice, "ed25519:test_device", devicePub); errcode.Of(err) != errcode.BadInput {
		t.Errorf("float in object: %v", err)
	}
	if _, err := signing.Sign(obj, alice, "ed25519:x", xkey(asciiKey(deviceSeed))); errcode.Of(err) != errcode.BadInput {
		t.Errorf("Sign with float: %v", err)
	}
}

func TestParseObject(t *testing.T) {
	obj, err := signing.ParseObject([]byte(`{"n":9007199254740991}`))
	if err != nil || obj["n"] != jsonvalue.Number("9007199254740991") {
		t.Fatalf("%v, %v", obj, err)
	}
	for _, bad := range []string{"", "null", "[]", `"x"`, "1", "{"} {
		if _, err := signing.ParseObject([]byte(bad)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("ParseObject(%q): %v", bad, err)
		}
	}
}

func TestSigningBytes(t *testing.T) {
	obj := mustObject(t, `{"b":1,"a":"x","signatures":{"s":{}},"unsigned":{"u":1}}`)
	got, err := signing.SigningBytes(obj)
	if err != nil || string(got) != `{"a":"x","b":1}` {
		t.Fatalf("%s, %v", got, err)
	}
	if _, ok := obj["signatures"]; !ok {
		t.Fatal("SigningBytes modified the object")
	}
}
