package recoverykey_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/internal/testdecode"
	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

var (
	// docs/vectors.md §1.1: Alice's X25519 private key, the backup key of §5.2–§5.5.
	aliceHex = hex.EncodeToString(vectors.MustX25519().Keys["rfc7748_alice"].Private)
	// §5.2, §5.3 (testdata/vectors/backup.json).
	aliceRecoveryKey = vectors.MustBackup().RecoveryKeys[0].Text
	// §5.3: the same key in base64.
	aliceBase64 = vectors.MustBackup().KeyBase64[0].Base64
	// §6.2, §6.3 (testdata/vectors/ssss.json).
	ssssFile = vectors.MustSSSS()
)

// Keys whose text form and bytes are both given by a vector; Encode must
// reproduce the text exactly and Decode the bytes.
func TestVectorsEncodeDecode(t *testing.T) {
	for _, v := range []struct {
		name, text string
		key        []byte
	}{
		{"§5.2 alice", aliceRecoveryKey, testdecode.Hex(t, aliceHex)},
		{"§5.3 base64 form", aliceRecoveryKey, testdecode.B64(t, aliceBase64)},
		{"§6.2", ssssFile.Utils.RecoveryKey, testdecode.B64(t, ssssFile.Utils.KeyB64)},
	} {
		got, err := recoverykey.Decode(v.text)
		if err != nil || !bytes.Equal(got, v.key) {
			t.Errorf("%s: Decode = %x, %v; want %x", v.name, got, err, v.key)
		}
		text, err := recoverykey.Encode(v.key)
		if err != nil || text != v.text {
			t.Errorf("%s: Encode = %q, %v; want %q", v.name, text, err, v.text)
		}
	}
}

// Recovery keys of §6.1–§6.4 whose bytes are not printed: they must decode
// and re-encode to the same text.
func TestVectorsReencode(t *testing.T) {
	for _, text := range []string{
		ssssFile.Mautrix.Key1.RecoveryKey, // §6.1 key 1
		ssssFile.Mautrix.Key2.RecoveryKey, // §6.1 key 2
		ssssFile.Utils.Secret.RecoveryKey, // §6.2
		ssssFile.Rust.RecoveryKey.Text,    // §6.3, §6.4
	} {
		key, err := recoverykey.Decode(text)
		if err != nil || len(key) != recoverykey.KeySize {
			t.Errorf("Decode(%q) = %x, %v", text, key, err)
			continue
		}
		back, err := recoverykey.Encode(key)
		if err != nil || back != text {
			t.Errorf("Encode(Decode(%q)) = %q, %v", text, back, err)
		}
	}
}

// docs/vectors.md §5.5 and §6.3: whitespace anywhere is ignored.
func TestVectorsWhitespace(t *testing.T) {
	alice := testdecode.Hex(t, aliceHex)
	g := strings.Fields(aliceRecoveryKey)
	for _, text := range []string{
		strings.Join(g, ""), // §5.5, no spaces
		"  " + g[0] + " " + g[1] + "\t" + g[2] + "\n" + g[3] + "\r" + strings.Join(g[4:], " ") + " \n",
		g[0] + "\u00a0" + g[1] + "\u3000" + g[2] + "\u2003" + g[3] + "\u0085" + strings.Join(g[4:], ""), // Unicode spaces
		strings.Join(strings.Split(strings.Join(g, ""), ""), " "),
	} {
		got, err := recoverykey.Decode(text)
		if err != nil || !bytes.Equal(got, alice) {
			t.Errorf("Decode(%q) = %x, %v", text, got, err)
		}
	}
	want := []byte(ssssFile.Rust.Whitespace.Key)
	got, err := recoverykey.Decode(ssssFile.Rust.Whitespace.Text)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("§6.3 whitespace vector: %x, %v", got, err)
	}
}

// docs/vectors.md §5.5, §6.3: parity, prefix, length and alphabet errors.
func TestVectorsRejected(t *testing.T) {
	cases := []struct{ why, text string }{{"parity §5.5", lastChanged("e")}}
	for _, b := range ssssFile.Rust.BadRecoveryKeys {
		cases = append(cases, struct{ why, text string }{b.Error + " §6.3", b.Text})
	}
	if len(cases) != 5 {
		t.Fatalf("%d §6.3 cases", len(cases)-1)
	}
	for _, v := range append(cases, []struct{ why, text string }{
		{"alphabet, full length", lastChanged("0")},
		{"alphabet O", lastChanged("O")},
		{"alphabet I", lastChanged("I")},
		{"alphabet l", lastChanged("l")},
		{"non-ASCII", lastChanged("é")},
		{"invalid UTF-8", lastChanged("\xff")},
		{"one char too many", aliceRecoveryKey + "1"},
		{"one char too few", aliceRecoveryKey[:len(aliceRecoveryKey)-1]},
		{"empty", ""},
		{"spaces only", "    "},
		{"all ones", strings.Repeat("1", 48)},
		{"all z (overflows 35 bytes)", strings.Repeat("z", 48)},
		{"base64 of the key", strings.TrimRight(aliceBase64, "=")},
	}...) {
		got, err := recoverykey.Decode(v.text)
		if err == nil {
			t.Errorf("%s: Decode(%q) = %x, want an error", v.why, v.text, got)
			continue
		}
		if code := errcode.Of(err); code != errcode.BadRecoveryKey {
			t.Errorf("%s: code %s, want %s (%v)", v.why, code, errcode.BadRecoveryKey, err)
		}
	}
}

func TestEncodeRejectsWrongLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := recoverykey.Encode(make([]byte, n)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Encode of %d bytes: %v", n, err)
		}
	}
}

// Extreme keys: always 48 characters in 12 groups, and back again.
func TestEncodeShapeExtremes(t *testing.T) {
	for _, fill := range []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff} {
		key := bytes.Repeat([]byte{fill}, recoverykey.KeySize)
		text, err := recoverykey.Encode(key)
		if err != nil {
			t.Fatal(err)
		}
		groups := strings.Split(text, " ")
		if len(groups) != 12 {
			t.Fatalf("%02x: %q has %d groups", fill, text, len(groups))
		}
		for _, g := range groups {
			if len(g) != 4 {
				t.Fatalf("%02x: %q has a group of %d", fill, text, len(g))
			}
		}
		back, err := recoverykey.Decode(text)
		if err != nil || !bytes.Equal(back, key) {
			t.Fatalf("%02x: round trip %x, %v", fill, back, err)
		}
	}
}

// lastChanged is aliceRecoveryKey with its last character replaced by c.
func lastChanged(c string) string { return aliceRecoveryKey[:len(aliceRecoveryKey)-1] + c }
