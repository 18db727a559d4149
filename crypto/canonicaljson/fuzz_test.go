package canonicaljson_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// FuzzMarshal: Marshal never panics; rejections are BAD_INPUT; the output is
// valid JSON, the input was one valid JSON text, a fixed point (Marshal(Marshal(x)) == Marshal(x)), has the same
// value as the input, and contains no insignificant whitespace.
func FuzzMarshal(f *testing.F) {
	for _, vs := range [][]vector{specVectors, mautrixVectors, ruleVectors} {
		for _, v := range vs {
			f.Add([]byte(v.in))
		}
	}
	f.Add([]byte(`{"a":1.5}`))
	f.Add([]byte(`[9007199254740992]`))
	f.Add([]byte("[\"\xff\xfe\"]"))
	f.Add([]byte(`{"\u0000":"\ud800"}`))
	f.Add([]byte(`{"algorithms":["m.olm.v1.curve25519-aes-sha2","m.megolm.v1.aes-sha2"],"device_id":"test_device","keys":{"curve25519:test_device":"F4uCNNlcbRvc7CfBz95ZGWBvY1ALniG1J8+6rhVoKS0","ed25519:test_device":"YI/7vbGVLpGdYtuceQR8MSsKB/QjgfMXM1xqnn+0NWU"},"user_id":"@alice:localhost"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := canonicaljson.Marshal(in)
		if err != nil {
			if code := errcode.Of(err); code != errcode.BadInput {
				t.Fatalf("code %s: %v", code, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output %q is not valid JSON", out)
		}
		again, err := canonicaljson.Marshal(out)
		if err != nil {
			t.Fatalf("Marshal rejects its own output %q: %v", out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, out); err != nil || !bytes.Equal(compact.Bytes(), out) {
			t.Fatalf("output %q has insignificant whitespace", out)
		}
		if !json.Valid(in) {
			t.Fatalf("Marshal accepted %q, which is not one valid JSON text", in)
		}
		var a, b any
		if err := json.Unmarshal(in, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed: %q → %q", in, out)
		}
	})
}
