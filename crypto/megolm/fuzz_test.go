package megolm

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/libolmpickle"
	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Seeds are the vectors (decoded where the target takes bytes); the corpus in
// testdata/fuzz/<target> holds inputs the fuzzer found interesting.

func codeIn(t *testing.T, what string, err error, codes ...errcode.Code) {
	t.Helper()
	if err != nil && !slices.Contains(codes, errcode.Of(err)) {
		t.Fatalf("%s: code %s (%v), want one of %v", what, errcode.Of(err), err, codes)
	}
}

const event52 = "AwgAEjD+VwXZ7PoGPRS/H4kwpAsMp/g+WPvJVtPEKE8fmM9IcT/NCiwPb8PehecDKP0cjm1XO88k6Bw3D17aGiBHr5iB" +
	"oP7oSw8CXULXAMTkBlmkufRQq2+d0Giy1s4/Cg5n13jSVrSb2q7VTSv1ZHAFjUCsLSfR0gxqcQs"

// signer32 holds the signing key of the §3.2 session.
var signer32, _ = newOutboundFromRandom(random32, randomTime)

// FuzzMessage: arbitrary message bytes against the §3.2 and §3.3 sessions.
// No panic; only message-level codes; a failure changes nothing; what parses
// re-encodes to the same index and ciphertext.
func FuzzMessage(f *testing.F) {
	for _, m := range []string{message32, message32b, event33, event52} {
		f.Add(testdecode.B64(f, m))
	}
	f.Add(appendMessageBody(nil, 200, []byte("ciphertext")))
	f.Add([]byte{3})
	f.Add(testdecode.B64(f, message32)[1:21]) // the payload of a real message
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := parseMessage(raw)
		codeIn(t, "parse", err, errcode.BadMessage)
		if err == nil {
			if len(m.mac) != macSize || len(m.signature) != signatureSize || len(m.signInput)+signatureSize != len(raw) {
				t.Fatal("bad split")
			}
			re, err := parseMessage(append(appendMessageBody(nil, m.index, m.ciphertext), raw[len(m.macInput):]...))
			if err != nil || re.index != m.index || !bytes.Equal(re.ciphertext, m.ciphertext) {
				t.Fatalf("re-encoding: %v", err)
			}
		}
		s1, _ := NewInboundGroupSession(sessionKey32)
		s2, _ := ImportInboundGroupSession(sessionKey33)
		for _, s := range []*InboundGroupSession{s1, s2} {
			before := snapshot(s)
			pt, idx, err := s.Decrypt(b64.Encode(raw))
			codeIn(t, "decrypt", err, errcode.BadMessage, errcode.BadSignature, errcode.BadMAC, errcode.UnknownMessageIndex)
			if err != nil && snapshot(s) != before {
				t.Fatal("failed decryption changed the session")
			}
			if err == nil && (m == nil || idx != m.index || pt == nil) {
				t.Fatal("decrypted something that does not parse")
			}
		}
		_, _, err = s1.Decrypt(string(raw))
		codeIn(t, "decrypt text", err, errcode.BadMessage, errcode.BadSignature, errcode.BadMAC, errcode.UnknownMessageIndex)

		// raw as version||payload, correctly MACed and signed by the §3.2
		// session's key, reaches the MAC check and AES: only BadMessage
		// (bad ciphertext) or the plaintext at the parsed index.
		body := append([]byte{messageVersion}, raw...)
		m, err = parseMessage(append(slices.Clone(body), make([]byte, macSize+signatureSize)...))
		if err != nil {
			return
		}
		r := s1.initial
		r.advanceTo(m.index)
		_, macKey, _ := r.messageKeys()
		full := append(body, messageMAC(macKey, body)...)
		full = append(full, signer32.signer.Sign(full)...)
		_, idx, err := s1.Decrypt(b64.Encode(full))
		codeIn(t, "decrypt signed", err, errcode.BadMessage)
		if err == nil && idx != m.index {
			t.Fatalf("index %d, parsed %d", idx, m.index)
		}
	})
}

// FuzzSessionKey: arbitrary v2 session keys, as bytes and as text. What is
// accepted exports (v1) the same ratchet and key.
func FuzzSessionKey(f *testing.F) {
	f.Add(testdecode.B64(f, sessionKey32))
	f.Add(testdecode.B64(f, sessionKey32b))
	f.Add(testdecode.B64(f, sessionKey33))
	f.Add([]byte(sessionKey32))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, text := range []string{b64.Encode(raw), string(raw)} {
			s, err := NewInboundGroupSession(text)
			codeIn(t, "NewInboundGroupSession", err, errcode.BadInput, errcode.BadBase64, errcode.BadSignature)
			if err != nil {
				continue
			}
			exp, err := s.Export(s.FirstKnownIndex())
			if err != nil {
				t.Fatal(err)
			}
			dec, _ := b64.Decode(text)
			if e := testdecode.B64(t, exp); e[0] != 1 || !bytes.Equal(e[1:], dec[1:exportSize]) || !s.IsVerified() {
				t.Fatal("export differs from the session key")
			}
		}
	})
}

// FuzzExportedSessionKey: arbitrary v1 keys; what is accepted re-exports
// byte for byte.
func FuzzExportedSessionKey(f *testing.F) {
	f.Add(testdecode.B64(f, sessionKey33))
	f.Add(testdecode.B64(f, sessionKey32))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, text := range []string{b64.Encode(raw), string(raw)} {
			s, err := ImportInboundGroupSession(text)
			codeIn(t, "ImportInboundGroupSession", err, errcode.BadInput, errcode.BadBase64)
			if err != nil {
				continue
			}
			exp, err := s.Export(s.FirstKnownIndex())
			if err != nil || !bytes.Equal(testdecode.B64(t, exp), testdecode.B64(t, text)) || s.IsVerified() {
				t.Fatalf("re-export differs: %v", err)
			}
		}
	})
}

// FuzzLibolmPickle: arbitrary raw libolm pickles of both kinds, directly and
// through the envelope, plus the bytes as an envelope string. Only BadPickle
// (WrongKey for the envelope); what loads pickles back to a state that loads
// the same.
func FuzzLibolmPickle(f *testing.F) {
	for _, p := range []string{libolmInbound, libolmOutbound} {
		raw, err := libolmpickle.Decrypt(libolmKey, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(libolmInbound))
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := decodeLibolmInbound(raw)
		codeIn(t, "inbound", err, errcode.BadPickle)
		if err == nil {
			p, err := in.PickleLibolm(libolmKey)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ImportLibolmInbound(libolmKey, p)
			if err != nil || snapshot(again) != snapshot(in) {
				t.Fatalf("inbound round trip: %v", err)
			}
		}
		out, err := decodeLibolmOutbound(raw)
		codeIn(t, "outbound", err, errcode.BadPickle)
		if err == nil {
			p, err := out.PickleLibolm(libolmKey)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := libolmpickle.Decrypt(libolmKey, p); !bytes.Equal(got, raw) {
				t.Fatal("outbound round trip differs")
			}
			_, err = out.Encrypt([]byte("x"))
			codeIn(t, "encrypt", err, errcode.BadPickle)
		}
		enc, err := libolmpickle.Encrypt(libolmKey, raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ImportLibolmInbound(libolmKey, enc)
		codeIn(t, "envelope inbound", err, errcode.BadPickle)
		_, err = ImportLibolmOutbound(libolmKey, string(raw))
		codeIn(t, "text outbound", err, errcode.BadPickle, errcode.WrongKey)
	})
}

// FuzzPickle: arbitrary plaintexts of our own pickles (the AEAD keeps
// outsiders from reaching the decoders, but a bug or a disk error must still
// be BadPickle), and arbitrary sealed text. What loads re-pickles to the same
// plaintext.
func FuzzPickle(f *testing.F) {
	out, _ := newOutboundFromRandom(random32, randomTime)
	for _, s := range []interface{ Pickle([]byte) (string, error) }{out, out.InboundSession()} {
		p, err := s.Pickle(pickleKey)
		if err != nil {
			f.Fatal(err)
		}
		for _, label := range []string{inboundLabel, outboundLabel} {
			if pt, err := open(pickleKey, label, p); err == nil {
				f.Add(pt)
			}
		}
		f.Add([]byte(p))
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, pt []byte) {
		in, err := decodeInboundPickle(pt)
		codeIn(t, "inbound", err, errcode.BadPickle)
		if err == nil {
			p, _ := in.Pickle(pickleKey)
			if got, _ := open(pickleKey, inboundLabel, p); !bytes.Equal(got, pt) {
				t.Fatal("inbound round trip differs")
			}
		}
		out, err := decodeOutboundPickle(pt)
		codeIn(t, "outbound", err, errcode.BadPickle)
		if err == nil {
			p, _ := out.Pickle(pickleKey)
			if got, _ := open(pickleKey, outboundLabel, p); !bytes.Equal(got, pt) {
				t.Fatal("outbound round trip differs")
			}
		}
		_, err = UnpickleInbound(pickleKey, string(pt))
		codeIn(t, "unpickle inbound", err, errcode.BadPickle, errcode.WrongKey)
		_, err = UnpickleOutbound(pickleKey, string(pt))
		codeIn(t, "unpickle outbound", err, errcode.BadPickle, errcode.WrongKey)
	})
}

// FuzzRoomKey: arbitrary event contents. Only shape, key and algorithm codes.
func FuzzRoomKey(f *testing.F) {
	out, _ := newOutboundFromRandom(random32, randomTime)
	c, _ := out.RoomKeyContent("!room:id", true)
	f.Add(c)
	f.Add(forwardedContent(nil))
	f.Add([]byte(`{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!r","session_id":"x","session_key":"AgAA","shared_history":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		codes := []errcode.Code{errcode.BadInput, errcode.BadBase64, errcode.BadSignature, errcode.UnsupportedAlgorithm}
		rk, err := ParseRoomKey(content, curveKey, edKey)
		codeIn(t, "m.room_key", err, codes...)
		if err == nil && (rk.Session == nil || rk.SessionID != rk.Session.SessionID() || rk.RoomID == "") {
			t.Fatalf("%+v", rk)
		}
		rk, err = ParseForwardedRoomKey(content)
		codeIn(t, "m.forwarded_room_key", err, codes...)
		if err == nil && (rk.Session == nil || rk.SessionID != rk.Session.SessionID() || rk.ForwardingCurve25519KeyChain == nil) {
			t.Fatalf("%+v", rk)
		}
	})
}

// FuzzReplayGuard: arbitrary persisted guards. BadInput or a guard that
// exports and re-imports to the same bytes.
func FuzzReplayGuard(f *testing.F) {
	f.Add([]byte(`{"version":1,"sessions":{"s1":{"0":"$a","1":"$b"},"s2":{"0":"$c"}}}`))
	f.Add([]byte(`{"version":1,"sessions":{"s":{"01":"$a"}}}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ImportReplayGuard(data)
		codeIn(t, "import", err, errcode.BadInput)
		if err != nil {
			return
		}
		e := g.Export()
		h, err := ImportReplayGuard(e)
		if err != nil || !bytes.Equal(h.Export(), e) {
			t.Fatalf("round trip: %v\n%s", err, e)
		}
	})
}
