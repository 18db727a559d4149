package canonicaljson_test

import (
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/internal/vectors"
)

type vector struct{ in, want string }

// docs/vectors.md §2.1: the spec appendix examples, then mautrix-go's additions
// (without its uppercase-hex control character outputs, which contradict the
// spec grammar); testdata/vectors/canonicaljson.json.
var (
	canonicalFile  = vectors.MustCanonicalJSON()
	specVectors    = toVectors(canonicalFile.SpecAppendix.Cases)
	mautrixVectors = toVectors(canonicalFile.Mautrix.Cases)
)

func toVectors(cs []vectors.CanonicalCase) (out []vector) {
	for _, c := range cs {
		out = append(out, vector{c.Input, c.Canonical})
	}
	return out
}

// Further cases from the rules of docs/keys.md §1.1.
var ruleVectors = []vector{
	// Control characters: short escapes where they exist, else \u00xx in
	// lowercase hex.
	{`["\u0000\u0001\u0007\u000B\u000e\u001F"]`, `["\u0000\u0001\u0007\u000b\u000e\u001f"]`},
	{`["\b\t\n\f\r"]`, `["\b\t\n\f\r"]`},
	{`["\u0008\u0009\u000A\u000C\u000D"]`, `["\b\t\n\f\r"]`},
	// No HTML escaping, U+2028/9 and DEL written raw, / never escaped.
	{`["<>&\u2028\u2029\u007f/"]`, "[\"<>&\u2028\u2029\x7f/\"]"},
	{`["\u00e9"]`, `["é"]`},
	// Keys sort by code point, which is UTF-8 byte order, not UTF-16 order:
	// U+FF61 sorts before U+10000 although its UTF-16 unit is larger than
	// the surrogate 0xD800.
	{`{"𐀀":1,"｡":2,"a":3,"B":4,"":5}`, `{"":5,"B":4,"a":3,"｡":2,"𐀀":1}`},
	{`{"a":1,"a":2}`, `{"a":2}`},
	{` [ 1 , [ ] , { } , true , false , null ] `, `[1,[],{},true,false,null]`},
	{`"x"`, `"x"`},
	{`-9007199254740991`, `-9007199254740991`},
	{`1E3`, `1000`},
	{`1e+2`, `100`},
	{`-0.0`, `0`},
	{`1.0`, `1`},
	{`12.50e1`, `125`},
	{`9007199254740991.0`, `9007199254740991`},
	{`0.9007199254740991e16`, `9007199254740991`},
	{`{"signatures":{"x":1},"unsigned":{"y":2}}`, `{"signatures":{"x":1},"unsigned":{"y":2}}`},
}

func run(t *testing.T, vs []vector) {
	t.Helper()
	for _, v := range vs {
		got, err := canonicaljson.Marshal([]byte(v.in))
		if err != nil {
			t.Errorf("Marshal(%s): %v", v.in, err)
			continue
		}
		if string(got) != v.want {
			t.Errorf("Marshal(%s)\n got %s\nwant %s", v.in, got, v.want)
		}
		again, err := canonicaljson.Marshal(got)
		if err != nil || string(again) != string(got) {
			t.Errorf("not idempotent on %s: %s, %v", got, again, err)
		}
	}
}

func TestVectorsSpec(t *testing.T)    { run(t, specVectors) }
func TestVectorsMautrix(t *testing.T) { run(t, mautrixVectors) }
func TestRules(t *testing.T)          { run(t, ruleVectors) }

func TestRejects(t *testing.T) {
	deep := strings.Repeat("[", 102) + strings.Repeat("]", 102)
	for _, in := range []string{
		``, ` `, `{`, `{"a"}`, `{} {}`, `[] x`, `{},`, `nul`, `'a'`, `{a:1}`,
		`1.5`, `0.1`, `-0.5`, `1e-1`, `9007199254740992`, `-9007199254740992`,
		`1e16`, `1e400`, `[18446744073709551616]`, `{"a":[1,2,3.25]}`,
		`NaN`, `Infinity`, `01`, `+1`, `.5`,
		deep,
	} {
		got, err := canonicaljson.Marshal([]byte(in))
		if err == nil {
			t.Errorf("Marshal(%.40q) = %s, want an error", in, got)
			continue
		}
		if code := errcode.Of(err); code != errcode.BadInput {
			t.Errorf("Marshal(%.40q): code %s (%v)", in, code, err)
		}
	}
	// 100 levels of nesting are fine.
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if got, err := canonicaljson.Marshal([]byte(ok)); err != nil || string(got) != ok {
		t.Errorf("100 levels: %v", err)
	}
}

func TestEncodeGoValues(t *testing.T) {
	got, err := canonicaljson.Encode(map[string]any{
		"int": 1, "int64": int64(-2), "float": 3.0, "num": jsonvalue.Number("4e0"),
		"list": []any{"x", nil, true}, "map": map[string]any{},
	})
	want := `{"float":3,"int":1,"int64":-2,"list":["x",null,true],"map":{},"num":4}`
	if err != nil || string(got) != want {
		t.Fatalf("got %s, %v", got, err)
	}
	for _, v := range []any{1.5, int64(1 << 53), struct{}{}, []string{"a"}, map[string]string{}, uint8(1), jsonvalue.Number("x")} {
		if got, err := canonicaljson.Encode(v); errcode.Of(err) != errcode.BadInput {
			t.Errorf("Encode(%#v) = %s, %v", v, got, err)
		}
	}
	// Invalid UTF-8 in a Go string becomes U+FFFD.
	if got, err := canonicaljson.Encode("a\xffb"); err != nil || string(got) != "\"a\uFFFDb\"" {
		t.Errorf("invalid UTF-8: %q, %v", got, err)
	}
}
