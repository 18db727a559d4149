// Package backupproxy is the logic of the key-backup Worker: it serves the
// Matrix server-side key backup API (/_matrix/client/{r0,v3,unstable}/room_keys,
// MSC1219 as specified) from SQL storage and tells its host to pass every other
// request to the upstream homeserver unchanged.
//
// It has no syscall/js: the host (wasm/backupproxy, running under workerd)
// supplies the databases (DB), the upstream homeserver (Upstream) and the
// request body, so routing, validation, the better-key rule's inputs, etags
// and sharding are unit-tested natively.
package backupproxy
