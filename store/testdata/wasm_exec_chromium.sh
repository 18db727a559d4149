#!/usr/bin/env bash
# A go test -exec runner for js/wasm in a real browser: wasmbrowsertest
# (pinned in go.mod as a tool) runs the test binary in headless Chromium,
# so the store's suites run over the browser's own IndexedDB.
#
#   GOOS=js GOARCH=wasm go test -exec "$PWD/store/testdata/wasm_exec_chromium.sh" ./store/
#
# The tool itself must be built for this machine, not for js/wasm. chromedp
# finds chromium on PATH (Debian's /usr/bin/chromium).
set -o pipefail
# The tool's DevTools protocol tables predate some events of today's
# Chromium; it logs each one it cannot decode, which is noise here.
env -u GOOS -u GOARCH go tool wasmbrowsertest "$@" 2> >(grep -v 'could not unmarshal event' >&2)
