package device

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// A key derived elsewhere (as the JS loader does with WebCrypto) from the
// file's parameters reads and writes the same files as the passphrase.
func TestKeyFileWithKeyDerivedElsewhere(t *testing.T) {
	c := newClock()
	alice := newDevice(t, "@alice:example.org", "ALICE", c)
	if _, err := alice.EncryptRoomEvent("!k:example.org", "m.room.message", []byte(`{"a":1}`), megolm.RotationPolicy{}); err != nil {
		t.Fatal(err)
	}
	derive := func(pass string, p *KeyFileParams) []byte {
		k, err := pbkdf2.Key(sha512.New, pass, p.Salt, p.Iterations, KeyFileKeySize)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// Written with a derived key, read with the passphrase.
	p, err := NewKeyFileParams(1234)
	if err != nil || len(p.Salt) != 16 || p.Iterations != 1234 {
		t.Fatalf("%+v %v", p, err)
	}
	text, err := alice.ExportRoomKeysWithKey(derive("pw", p), p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadKeyFileParams(text)
	if err != nil || !bytes.Equal(got.Salt, p.Salt) || got.Iterations != 1234 {
		t.Fatalf("%+v %v", got, err)
	}
	bob := newDevice(t, "@alice:example.org", "BOB", c)
	res, err := bob.ImportRoomKeys(text, "pw", nil)
	if err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	// Written with the passphrase, read with a derived key.
	text, err = alice.ExportRoomKeys("pw2", 1000)
	if err != nil {
		t.Fatal(err)
	}
	p, err = ReadKeyFileParams(text)
	if err != nil || p.Iterations != 1000 {
		t.Fatalf("%+v %v", p, err)
	}
	carol := newDevice(t, "@alice:example.org", "CAROL", c)
	res, err = carol.ImportRoomKeysWithKey(text, derive("pw2", p), nil)
	if err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	// The wrong passphrase's key is BAD_MAC; a key of the wrong size or
	// missing parameters are BAD_INPUT.
	_, err = carol.ImportRoomKeysWithKey(text, derive("nope", p), nil)
	wantCode(t, err, errcode.BadMAC)
	_, err = carol.ImportRoomKeysWithKey(text, make([]byte, 32), nil)
	wantCode(t, err, errcode.BadInput)
	_, err = alice.ExportRoomKeysWithKey(make([]byte, 63), p)
	wantCode(t, err, errcode.BadInput)
	_, err = alice.ExportRoomKeysWithKey(make([]byte, 64), nil)
	wantCode(t, err, errcode.BadInput)
	_, err = alice.ExportRoomKeysWithKey(make([]byte, 64), &KeyFileParams{Salt: make([]byte, 16), Iterations: 0})
	wantCode(t, err, errcode.BadInput)
	_, err = NewKeyFileParams(-1)
	wantCode(t, err, errcode.BadInput)
	// Not a file: coded errors, before any derivation.
	for _, bad := range []string{"no file", exportFooter + exportHeader, exportHeader, exportHeader[:20] + exportFooter} {
		_, err = ReadKeyFileParams(bad)
		wantCode(t, err, errcode.BadInput)
	}
}

// FuzzReadKeyFileParams: any text gives parameters in range or a coded
// error, never a panic; the parameters agree with the file's bytes.
func FuzzReadKeyFileParams(f *testing.F) {
	f.Add(exportHeader + "\nAQ==\n" + exportFooter)
	f.Add(rustSDKExport)
	f.Add(strings.Replace(rustSDKExport, "A", "B", 3))
	f.Add(exportHeader + exportFooter)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ReadKeyFileParams(text)
		if err != nil {
			if code := errcode.Of(err); code == errcode.Internal {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		if len(p.Salt) != 16 || p.Iterations < 1 || p.Iterations > 10_000_000 {
			t.Fatalf("%+v", p)
		}
	})
}
