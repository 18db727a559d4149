//go:build js && wasm

// Command web is the mxcrypto web page: a small Matrix client written in Go
// with honnef.co/go/js/dom/v2. It is its own wasm module and uses mxcrypto
// the way any web client would, through its JS API (init, connect) called
// with syscall/js; it does not link the crypto packages, so a page bug
// cannot take the crypto instance down, restores run in mxcrypto's workers,
// and tabs are serialised by mxcrypto's navigator.locks.
package main
