package canonicaljson_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
)

// The spec appendix's examples: keys sorted by code point, no whitespace,
// integers written plainly, non-ASCII written as UTF-8.
func ExampleMarshal() {
	for _, in := range []string{
		`{ "one": 1, "two": "Two" }`,
		`{ "本": 2, "日": 1 }`,
		`{ "a": "\u65E5", "b": 1e10, "c": -0 }`,
	} {
		out, err := canonicaljson.Marshal([]byte(in))
		fmt.Println(string(out), err)
	}
	// Output:
	// {"one":1,"two":"Two"} <nil>
	// {"日":1,"本":2} <nil>
	// {"a":"日","b":10000000000,"c":0} <nil>
}
