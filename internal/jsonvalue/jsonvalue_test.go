package jsonvalue

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

var seeds = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1e10`, `-1.5E-3`, `true`, `false`, `null`,
	` {"a" : [1, 2, {"b": null}], "c": "\u00e9\ud83d\ude00\n\"\\\/"} `,
	`{"a":1,"a":2}`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, "\"\xff\"",
	`{"sessions":{"s":{"session_data":{"ephemeral":"x","ciphertext":"y","mac":"z"}}}}`,
}

var invalid = []string{
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
	`"abc`, "\"a\x01\"", `"\x"`, `"\u12"`, `"\uzzzz"`, `tru`, `nul`, `{} x`, `{}}`, "\"\"\v", `NaN`, `[Infinity]`,
	`{"a":1}{"b":2}`, `'a'`,
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		checkAgainstStdlib(t, []byte(s))
		if _, err := Parse([]byte(s)); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	for _, s := range invalid {
		if v, err := Parse([]byte(s)); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Parse(%q) = %v, %v; want BAD_INPUT", s, v, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(deep)); err != nil {
		t.Fatal(err)
	}
	deeper := "[" + deep + "]"
	if _, err := Parse([]byte(deeper)); errcode.Of(err) != errcode.BadInput {
		t.Fatal("too deep accepted")
	}
}

func TestObjectAccessors(t *testing.T) {
	v, _ := Parse([]byte(`{"s":"x","n":3,"b":true,"o":{"k":"v"},"bad":1.5}`))
	o, err := AsObject(v, "arg")
	if err != nil {
		t.Fatal(err)
	}
	if o.String("s") != "x" || o.Int("n") != 3 || !o.Bool("b") || o.Object("o").String("k") != "v" || o.OptString("none") != "" || o.OptInt("none", 7) != 7 {
		t.Fatal("accessors")
	}
	if o.Err() != nil {
		t.Fatal(o.Err())
	}
	o.Int("bad")
	if err := o.Err(); errcode.Of(err) != errcode.BadInput || !strings.Contains(err.Error(), "arg.bad must be an integer") {
		t.Fatal(err)
	}
	o2, _ := AsObject(v, "arg")
	o2.Object("o").Int("k")
	if err := o2.Err(); err == nil || !strings.Contains(err.Error(), "arg.o.k") {
		t.Fatal(err)
	}
}

// checkAgainstStdlib: we accept exactly what encoding/json accepts, and
// produce the same values.
func checkAgainstStdlib(t *testing.T, in []byte) {
	v, err := Parse(in)
	if ok := json.Valid(in); ok != (err == nil) {
		t.Fatalf("Parse(%q) err=%v but json.Valid=%v", in, err, ok)
	}
	if err != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalise(v), normalise(want)) {
		t.Fatalf("Parse(%q) = %#v, encoding/json = %#v", in, v, want)
	}
}

func normalise(v any) any {
	switch x := v.(type) {
	case Number:
		return string(x)
	case json.Number:
		return string(x)
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normalise(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = normalise(e)
		}
		return a
	}
	return v
}

func FuzzParse(f *testing.F) {
	for _, s := range append(seeds, invalid...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, err := Parse(in)
		if err != nil && errcode.Of(err) != errcode.BadInput {
			t.Fatalf("code %s", errcode.Of(err))
		}
		checkAgainstStdlib(t, in)
	})
}
