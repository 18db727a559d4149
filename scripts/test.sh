#!/usr/bin/env bash
# The whole test suite: formatting, vet, Go tests natively and under js/wasm
# (in Node), then the Node tests against the built module.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet (native, js/wasm)"
go vet ./...
GOOS=js GOARCH=wasm go vet ./...
GOOS=js GOARCH=wasm go vet -tags mxcrypto_core ./jsbridge/ ./wasm/...
GOOS=js GOARCH=wasm go vet -tags mxcrypto_debug ./jsbridge/ ./wasm/...

echo "== go test (native)"
go test ./...

echo "== go test (js/wasm, under Node)"
PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test ./...

echo "== go test (js/wasm, the store over IndexedDB: fake-indexeddb in Node)"
PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test -exec "$PWD/store/testdata/wasm_exec_fake_indexeddb.sh" ./store/

echo "== go test (js/wasm, the store over real IndexedDB: headless Chromium via wasmbrowsertest)"
GOOS=js GOARCH=wasm go test -timeout 20m -exec "$PWD/store/testdata/wasm_exec_chromium.sh" ./store/

echo "== node tests"
node --test --test-concurrency=1 tests/
