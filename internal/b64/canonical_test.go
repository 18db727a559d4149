package b64_test

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// Canonical gives both spellings of one key the same unpadded form and
// refuses what is not a key of the asked length.
func TestCanonical(t *testing.T) {
	const unpadded = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08"
	for _, s := range []string{unpadded, unpadded + "="} {
		if got, err := b64.Canonical(s, 32, "key"); err != nil || got != unpadded {
			t.Fatalf("%q: %q %v", s, got, err)
		}
	}
	for s, code := range map[string]errcode.Code{"AAAA": errcode.BadInput, "!!!!": errcode.BadBase64} {
		if _, err := b64.Canonical(s, 32, "key"); errcode.Of(err) != code {
			t.Errorf("%q: %v, want %s", s, err, code)
		}
	}
}
