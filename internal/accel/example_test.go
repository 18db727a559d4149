package accel_test

import (
	"fmt"

	"github.com/mxcrypto/mxcrypto/internal/accel"
)

// With no host lent (natively, or before the JS bridge installs one), every
// primitive runs in Go.
func Example() {
	fmt.Println(accel.Current() == nil)
	// Output: true
}
