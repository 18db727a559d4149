package machine

import (
	"crypto/rand"
	"testing"

	"github.com/mxcrypto/mxcrypto/device/crosssigning"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

const (
	alice = "@alice:example.org"
	bob   = "@bob:example.org"
)

// bootstrap runs BootstrapCrossSigning through the relay (a refused first
// try, as user-interactive auth does, changes nothing).
func bootstrap(t *testing.T, c *client) {
	t.Helper()
	before, _ := c.m.CrossSigningStatus()
	held, _, _ := c.m.Device().LocalSecret(crosssigning.MasterSecret)
	req, err := c.m.BootstrapCrossSigning()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.m.MarkRequestAsSent(req.ID, req.Type, matrixErr(401, "M_FORBIDDEN", map[string]any{"session": "s"})); err != nil {
		t.Fatal(err)
	}
	after, _ := c.m.CrossSigningStatus()
	still, _, _ := c.m.Device().LocalSecret(crosssigning.MasterSecret)
	if *after != *before || still != held {
		t.Fatal("a refused upload changed the keys")
	}
	if evs := c.send(*req); len(evs) != 1 || evs[0]["type"] != "crossSigningChanged" {
		t.Fatalf("events %v", evs)
	}
	c.flush()
}

func trustIn(t *testing.T, c *client, user, dev string) KnownDevice {
	t.Helper()
	devs, err := c.m.UserDevices(user)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.DeviceID == dev {
			return d
		}
	}
	t.Fatalf("%s does not know %s/%s", c.dev, user, dev)
	return KnownDevice{}
}

func TestCrossSigningOwnDevices(t *testing.T) {
	srv := newRelay(t)
	clk := newTestClock()
	a1 := newClient(t, srv, alice, "A1", clk.now)
	bootstrap(t, a1)
	st, err := a1.m.CrossSigningStatus()
	if err != nil || !st.Trusted || !st.HasMaster || !st.HasSelfSigning || !st.HasUserSigning {
		t.Fatalf("status %+v %v", st, err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	data, err := a1.m.CrossSigningSecretsForStorage("k", key)
	if err != nil || len(data) != 3 {
		t.Fatalf("secrets %v %v", data, err)
	}

	a2 := newClient(t, srv, alice, "A2", clk.now)
	a1.sync()
	a2.sync()
	if d := trustIn(t, a1, alice, "A2"); d.Trust != Unverified || d.CrossSigned {
		t.Fatalf("A2 before restore: %+v", d)
	}
	if st, _ := a2.m.CrossSigningStatus(); !st.Published || st.Trusted {
		t.Fatalf("A2 status before restore %+v", st)
	}
	wrong := make([]byte, 32)
	if _, err := a2.m.RestoreCrossSigning(data, "k", wrong); errcode.Of(err) != errcode.BadMAC {
		t.Fatalf("wrong key: %v", err)
	}
	if st, _ := a2.m.CrossSigningStatus(); st.HasMaster || st.HasSelfSigning {
		t.Fatal("a failed restore kept keys")
	}
	if st, err := a2.m.RestoreCrossSigning(data, "k", key); err != nil || !st.Trusted {
		t.Fatalf("restore %+v %v", st, err)
	}
	a2.flush()
	a1.sync()
	a2.sync()
	if d := trustIn(t, a1, alice, "A2"); d.Trust != Trusted || !d.CrossSigned {
		t.Fatalf("A1 sees A2 %+v", d)
	}
	if d := trustIn(t, a2, alice, "A1"); d.Trust != Trusted || !d.CrossSigned {
		t.Fatalf("A2 sees A1 %+v", d)
	}

	// Keys that are not the published ones are refused.
	a3 := newClient(t, srv, alice, "A3", clk.now)
	a3.sync()
	other := crosssigning.Generate()
	if err := a3.m.Device().SetLocalSecret(crosssigning.MasterSecret, b64.Encode(other.Master.Seed())); err != nil {
		t.Fatal(err)
	}
	if _, err := a3.m.ImportCrossSigningKeys(); errcode.Of(err) != errcode.WrongKey {
		t.Fatalf("foreign key: %v", err)
	}
	// An own device that cross-signing vouches for gets our secrets; one it does not, nothing.
	if ok, _ := a1.m.ownTrustedDevice(alice, "A2"); !ok {
		t.Fatal("A2 is not a trusted own device for A1")
	}
	if ok, _ := a1.m.ownTrustedDevice(alice, "A3"); ok {
		t.Fatal("A3 is trusted without being cross-signed")
	}
}

func TestCrossSigningOtherUsersAndIdentityChange(t *testing.T) {
	srv, clk, a, b1, b2 := setup(t)
	_ = clk
	bootstrap(t, a)
	bootstrap(t, b1)
	a.m.UpdateTrackedUsers([]string{bob})
	a.sync()
	b2.sync()
	if d := trustIn(t, a, bob, "B1"); d.Trust != Unverified || !d.CrossSigned {
		t.Fatalf("B1 before verification %+v", d)
	}
	if err := a.m.VerifyUser(alice); errcode.Of(err) != errcode.BadInput {
		t.Fatalf("verifying ourselves: %v", err)
	}
	if err := a.m.VerifyUser(bob); err != nil {
		t.Fatal(err)
	}
	a.flush()
	a.sync()
	if d := trustIn(t, a, bob, "B1"); d.Trust != Trusted {
		t.Fatalf("B1 after verification %+v", d)
	}
	if d := trustIn(t, a, bob, "B2"); d.Trust != Unverified || d.CrossSigned {
		t.Fatalf("B2 (not cross-signed) %+v", d)
	}
	id, err := a.m.UserIdentity(bob)
	if err != nil || !id.Verified || id.Changed {
		t.Fatalf("identity %+v %v", id, err)
	}
	// Bob's new master key: detected, and his devices no longer trusted.
	old := id.MasterKey
	bootstrap(t, b1)
	res := a.sync()
	var changed Event
	for _, e := range res.Events {
		if e["type"] == "identityChanged" {
			changed = e
		}
	}
	if changed == nil || changed["pinnedMasterKey"] != old || changed["wasVerified"] != true {
		t.Fatalf("identityChanged %v (events %v)", changed, res.Events)
	}
	if d := trustIn(t, a, bob, "B1"); d.Trust != Unverified {
		t.Fatalf("B1 after the change %+v", d)
	}
	if id, _ := a.m.UserIdentity(bob); !id.Changed || id.Verified {
		t.Fatalf("identity after the change %+v", id)
	}
	if err := a.m.PinIdentity(bob); err != nil {
		t.Fatal(err)
	}
	if id, _ := a.m.UserIdentity(bob); id.Changed || id.WasVerified {
		t.Fatalf("identity after pinning %+v", id)
	}
	_ = srv
}

func TestBackupTrust(t *testing.T) {
	srv := newRelay(t)
	clk := newTestClock()
	a1 := newClient(t, srv, alice, "A1", clk.now)
	a2 := newClient(t, srv, alice, "A2", clk.now)
	bootstrap(t, a1)
	a2.sync()
	nb, err := a2.m.Device().CreateBackupVersion()
	if err != nil {
		t.Fatal(err)
	}
	a1.sync()
	// Signed only by A2, which nobody trusts yet.
	info := func(body []byte) []byte {
		b := decodeJSON(t, body)
		b["version"] = "7"
		return toJSON(t, b)
	}
	tr, err := a1.m.VerifyBackup(info(nb.Body))
	if err != nil || tr.Trusted || tr.SignedByMaster {
		t.Fatalf("signed by an unverified device: %+v %v", tr, err)
	}
	if _, err := a1.m.EnableBackupVersion(info(nb.Body), nil); errcode.Of(err) != errcode.UntrustedBackup {
		t.Fatalf("enable untrusted: %v", err)
	}
	// Signed by A1 with the master key: trusted by A1, and by A2 once it holds the keys.
	signed, err := a1.m.SignBackupVersion(nb.Body)
	if err != nil {
		t.Fatal(err)
	}
	if tr, _ := a1.m.VerifyBackup(info(signed)); !tr.Trusted || !tr.SignedByMaster || len(tr.SignedByDevices) != 1 {
		t.Fatalf("A1: %+v", tr)
	}
	key := make([]byte, 32)
	rand.Read(key)
	data, _ := a1.m.CrossSigningSecretsForStorage("k", key)
	a3 := newClient(t, srv, alice, "A3", clk.now)
	a3.sync()
	if tr, _ := a3.m.VerifyBackup(info(signed)); tr.Trusted {
		t.Fatalf("A3 without the keys: %+v", tr)
	}
	if _, err := a3.m.RestoreCrossSigning(data, "k", key); err != nil {
		t.Fatal(err)
	}
	tr, err = a3.m.EnableBackupVersion(info(signed), nil)
	if err != nil || !tr.SignedByMaster {
		t.Fatalf("A3 with the keys: %+v %v", tr, err)
	}
	if v, _, _ := a3.m.Device().EnabledBackup(); v != "7" {
		t.Fatalf("enabled %q", v)
	}
}
