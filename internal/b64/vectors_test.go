package b64_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

// docs/vectors.md §1.3: the unpadded base64 table of the spec appendix
// (testdata/vectors/base64.json).
var base64File = vectors.MustBase64()

var rfcVectors = func() (out []struct{ plain, enc, padded string }) {
	for _, c := range base64File.RFC4648.Cases {
		out = append(out, struct{ plain, enc, padded string }{c.Text, c.Unpadded, c.Padded})
	}
	return out
}()

func TestVectorsUnpaddedBase64(t *testing.T) {
	for _, v := range rfcVectors {
		if got := b64.Encode([]byte(v.plain)); got != v.enc {
			t.Errorf("Encode(%q) = %q, want %q", v.plain, got, v.enc)
		}
		for _, in := range []string{v.enc, v.padded} {
			got, err := b64.Decode(in)
			if err != nil || string(got) != v.plain {
				t.Errorf("Decode(%q) = %q, %v; want %q", in, got, err, v.plain)
			}
		}
	}
}

// docs/vectors.md §1.3 (vodozemac): padded and unpadded forms decode alike.
func TestVectorsPaddedAndUnpaddedAgree(t *testing.T) {
	v := base64File.VodozemacPadding
	a, err := b64.Decode(v.Padded)
	if err != nil {
		t.Fatal(err)
	}
	b, err := b64.Decode(v.Unpadded)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || string(a) != v.Text {
		t.Fatalf("got %q and %q", a, b)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		"=", "Z", "Zg=", "Zg===", "Z===", "====", "Zg=a", "Z=g=", "=Zg=",
		"Zm9v\n", "Zm 9v", "Zm9v-", "Zm9v_", "Zm9v.", "Zm9\x00", "Zm9\xff",
		"Zm9vY", "Zm9v====", "Zm8==", "日本",
	} {
		got, err := b64.Decode(in)
		if err == nil {
			t.Errorf("Decode(%q) = %x, want an error", in, got)
			continue
		}
		if code := errcode.Of(err); code != errcode.BadBase64 {
			t.Errorf("Decode(%q): code %s, want %s (%v)", in, code, errcode.BadBase64, err)
		}
	}
}

func TestDecodeLen(t *testing.T) {
	if got, err := b64.DecodeLen("Zm9v", 3, "field"); err != nil || string(got) != "foo" {
		t.Fatalf("got %q, %v", got, err)
	}
	_, err := b64.DecodeLen("Zm9v", 4, "field")
	if errcode.Of(err) != errcode.BadInput {
		t.Errorf("wrong length: %v", err)
	}
	_, err = b64.DecodeLen("Zm9v!", 3, "field")
	if errcode.Of(err) != errcode.BadBase64 {
		t.Errorf("bad base64: %v", err)
	}
	if err != nil && !bytes.Contains([]byte(err.Error()), []byte("field")) {
		t.Errorf("error %q does not name the field", err)
	}
}

// All 256 byte values, one, two and three at a time, survive a round trip in
// every alignment.
func TestEncodeDecodeAllBytes(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for off := 0; off < 3; off++ {
		src := all[off:]
		back, err := b64.Decode(b64.Encode(src))
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("offset %d: %v", off, err)
		}
	}
}

func TestEncodeURLMatchesStdlib(t *testing.T) {
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i * 167)
	}
	for n := 0; n <= len(buf); n++ {
		want := base64.RawURLEncoding.EncodeToString(buf[:n])
		if got := b64.EncodeURL(buf[:n]); got != want {
			t.Fatalf("EncodeURL(%x) = %q, want %q", buf[:n], got, want)
		}
	}
}
