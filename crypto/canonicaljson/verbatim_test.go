package canonicaljson

import (
	"testing"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// EncodeVerbatimNumbers sorts and escapes like Encode but keeps a parsed
// number as written, where Encode refuses or rewrites it.
func TestEncodeVerbatimNumbers(t *testing.T) {
	v, err := jsonvalue.Parse([]byte(`{"b":[1.5,2e3,-0],"a":"\u2028<","c":{"z":1,"y":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodeVerbatimNumbers(v)
	if want := "{\"a\":\"\u2028<\",\"b\":[1.5,2e3,-0],\"c\":{\"y\":null,\"z\":1}}"; err != nil || string(got) != want {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
	if _, err := Encode(v); err == nil {
		t.Fatal("Encode took a fraction")
	}
	// Go numbers are still canonical integers.
	if got, err := EncodeVerbatimNumbers(map[string]any{"n": 3, "f": 2.0}); err != nil || string(got) != `{"f":2,"n":3}` {
		t.Fatalf("got %s, %v", got, err)
	}
}
