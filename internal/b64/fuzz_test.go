package b64_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// FuzzDecode checks Decode against encoding/base64 (non-strict, so trailing
// bits that are not zero are accepted by both):
//   - whatever Decode accepts, the standard library accepts too (padded or
//     raw) with the same bytes, and re-encoding gives the unpadded input;
//   - whatever the standard library accepts (apart from the CR/LF it skips),
//     Decode accepts with the same bytes;
//   - every rejection is BAD_BASE64.
func FuzzDecode(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add(v.enc)
		f.Add(v.padded)
	}
	f.Add(base64File.VodozemacPadding.Padded)
	f.Add(base64File.VodozemacPadding.Unpadded)
	f.Add("Zh==")
	f.Add("Zm9v\n")
	f.Add(vectors.Key(f, "rfc7748_alice").PublicB64)
	f.Add("+/+/")
	f.Add("Zg=a")

	f.Fuzz(func(t *testing.T, s string) {
		got, err := b64.Decode(s)
		if err != nil {
			if code := errcode.Of(err); code != errcode.BadBase64 {
				t.Fatalf("Decode(%q): code %s, want BAD_BASE64 (%v)", s, code, err)
			}
		}

		std, stdErr := base64.StdEncoding.DecodeString(s)
		if stdErr != nil {
			std, stdErr = base64.RawStdEncoding.DecodeString(s)
		}

		if err == nil {
			if stdErr != nil {
				t.Fatalf("Decode(%q) = %x but encoding/base64 rejects it: %v", s, got, stdErr)
			}
			if !bytes.Equal(got, std) {
				t.Fatalf("Decode(%q) = %x, encoding/base64 gives %x", s, got, std)
			}
			enc := b64.Encode(got)
			if enc != base64.RawStdEncoding.EncodeToString(got) {
				t.Fatalf("Encode(%x) = %q, encoding/base64 gives %q", got, enc, base64.RawStdEncoding.EncodeToString(got))
			}
			// Same bytes back (the text may differ only in padding and in
			// non-zero trailing bits).
			back, err := b64.Decode(enc)
			if err != nil || !bytes.Equal(back, got) {
				t.Fatalf("round trip of %x: %x, %v", got, back, err)
			}
			if len(enc) != len(strings.TrimRight(s, "=")) {
				t.Fatalf("Decode(%q) then Encode gives %q: length differs", s, enc)
			}
			return
		}
		if stdErr == nil && !strings.ContainsAny(s, "\r\n") {
			t.Fatalf("encoding/base64 decodes %q to %x but Decode rejects it: %v", s, std, err)
		}
	})
}

// FuzzPublic: the table-based variants accept, reject and produce exactly
// what Decode and Encode do.
func FuzzPublic(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add(v.enc)
		f.Add(v.padded)
	}
	f.Add("Zg=a")
	f.Add("Z===")
	f.Add(vectors.Key(f, "rfc7748_alice").PublicB64)
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := b64.Decode(s)
		got, err := b64.DecodePublic(s)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("DecodePublic(%q) = %x, %v; Decode = %x, %v", s, got, err, want, wantErr)
		}
		if err != nil && errcode.Of(err) != errcode.Of(wantErr) {
			t.Fatalf("DecodePublic(%q): code %s, Decode: %s", s, errcode.Of(err), errcode.Of(wantErr))
		}
		if e, w := b64.EncodePublic([]byte(s)), b64.Encode([]byte(s)); e != w {
			t.Fatalf("EncodePublic(%q) = %q, Encode = %q", s, e, w)
		}
	})
}
