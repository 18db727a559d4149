#!/bin/sh
# A go test -exec runner for js/wasm with an IndexedDB: Go's Node runner
# with fake-indexeddb preloaded, so the store's suites also run over
# hackpadfs's indexeddb backend.
#
#   GOOS=js GOARCH=wasm go test -exec "$PWD/store/testdata/wasm_exec_fake_indexeddb.sh" ./store/
#
# FAKE_INDEXEDDB names the module to preload (default fake-indexeddb/auto,
# found through node_modules above the package directory; the issue pins
# fake-indexeddb@6.2.8).
exec node --stack-size=8192 --import "${FAKE_INDEXEDDB:-fake-indexeddb/auto}" \
	"$(go env GOROOT)/lib/wasm/wasm_exec_node.js" "$@"
