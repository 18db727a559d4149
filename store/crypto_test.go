package store

import (
	"bytes"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/olm"
)

// TestCryptoStates stores the states the crypto packages produce and
// brings the objects back: the store keeps opaque bytes, this shows they
// are the right bytes.
func TestCryptoStates(t *testing.T) {
	fsys := newMemFS(t)
	s := mustOpen(t, fsys, "s")
	acct := olm.NewAccount()
	must(t, acct.GenerateOneTimeKeys(5))
	out := megolm.NewOutboundGroupSession()
	key, err := out.SessionKey()
	must(t, err)
	in, err := megolm.NewInboundGroupSession(key)
	must(t, err)
	must(t, s.Update(func(tx *Tx) error {
		if err := tx.Put(AccountKey(), acct.MarshalState()); err != nil {
			return err
		}
		if err := tx.Put(OutboundKey("!room:x"), out.MarshalState()); err != nil {
			return err
		}
		return tx.PutInbound(InboundSession{RoomID: "!room:x", SessionID: in.SessionID(), FirstKnownIndex: in.FirstKnownIndex(), State: in.MarshalState()})
	}))
	s.Close()

	s = mustOpen(t, fsys, "s")
	raw, _, err := s.Get(AccountKey())
	must(t, err)
	acct2, err := olm.UnmarshalAccountState(raw)
	must(t, err)
	if acct2.Curve25519Key() != acct.Curve25519Key() || acct2.OneTimeKeyCount() != 5 {
		t.Fatal("account changed in the store")
	}
	raw, _, err = s.Get(OutboundKey("!room:x"))
	must(t, err)
	out2, err := megolm.UnmarshalOutboundState(raw)
	must(t, err)
	if !bytes.Equal(out2.MarshalState(), out.MarshalState()) {
		t.Fatal("outbound session changed in the store")
	}
	ss, _, err := s.GetInbound("!room:x", out.SessionID())
	must(t, err)
	in2, err := megolm.UnmarshalInboundState(ss.State)
	must(t, err)
	if in2.FirstKnownIndex() != ss.FirstKnownIndex || !bytes.Equal(in2.MarshalState(), in.MarshalState()) {
		t.Fatal("inbound session changed in the store")
	}
}
