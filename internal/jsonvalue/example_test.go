package jsonvalue_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Matrix JSON parsed into generic values whose numbers keep their text, so
// large integers survive; an object is required where one is expected.
func Example() {
	obj, err := jsonvalue.ParseObject([]byte(`{"n":9007199254740991,"s":"x"}`))
	fmt.Println(obj["n"], obj["s"], err)
	_, err = jsonvalue.ParseObject([]byte(`[1]`))
	fmt.Println(err != nil)
	// Output:
	// 9007199254740991 x <nil>
	// true
}
