//go:build js && wasm

package main

import (
	"io"
	"net/http"

	"github.com/mxcrypto/mxcrypto/backupproxy"
)

// readBody reads a request body (syumai's reader over the request's
// ReadableStream), refusing it past limit bytes before reading when the
// declared length says so, else as soon as the count passes it.
func readBody(r *http.Request, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return nil, backupproxy.ErrBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, backupproxy.ErrBodyTooLarge
	}
	return b, nil
}
