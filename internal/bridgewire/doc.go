// Package bridgewire is the Go half of the private byte formats that cross
// between the wasm module and its JS loader: direct-call requests and
// answers, the backup decrypt batch, the restore prepare batch, the prepared
// batch a restore worker hands the main instance, and the packed inbound
// sessions of Store.putInbound. docs/bridge-formats.md describes them; the JS
// half is jsbridge/js/wireformat.mjs, and the golden files under testdata/wire/
// are checked byte for byte by this package's tests and by
// tests/wire-golden.test.mjs, so the two halves cannot drift apart.
//
// The package has no build tags and no syscall/js, so its decoders are fuzzed
// natively. All integers are little-endian (what DataView writes cheapest on
// every host we run on). Every decoder is strict: a length past the end,
// bytes left over, an unknown tag or a boolean byte other than 0 or 1 is
// BAD_INPUT, reported before anything decoded is used.
package bridgewire
