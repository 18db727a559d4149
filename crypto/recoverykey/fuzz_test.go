package recoverykey_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/mxcrypto/mxcrypto/crypto/recoverykey"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// FuzzDecode: Decode never panics, every rejection is BAD_RECOVERY_KEY, and a
// key it accepts re-encodes to the input text with whitespace removed (the
// base58 form of a key is unique, always 48 characters).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		aliceRecoveryKey,
		strings.ReplaceAll(aliceRecoveryKey, " ", ""),
		lastChanged("e"),
		ssssFile.Utils.RecoveryKey,
		ssssFile.Mautrix.Key1.RecoveryKey,
		ssssFile.Rust.Whitespace.Text,
		ssssFile.Rust.BadRecoveryKeys[1].Text,
		ssssFile.Rust.BadRecoveryKeys[3].Text,
		strings.Replace(aliceRecoveryKey, " ", "\u00a0", 1),
		strings.Repeat("z", 48),
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := recoverykey.Decode(s)
		if err != nil {
			if code := errcode.Of(err); code != errcode.BadRecoveryKey {
				t.Fatalf("Decode(%q): code %s (%v)", s, code, err)
			}
			return
		}
		if len(key) != recoverykey.KeySize {
			t.Fatalf("Decode(%q) gave %d bytes", s, len(key))
		}
		text, err := recoverykey.Encode(key)
		if err != nil {
			t.Fatal(err)
		}
		compact := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
		if strings.ReplaceAll(text, " ", "") != compact {
			t.Fatalf("Decode(%q) then Encode gives %q", s, text)
		}
	})
}
