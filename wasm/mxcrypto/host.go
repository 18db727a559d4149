//go:build js && wasm

package main

import (
	"unsafe"

	"github.com/mxcrypto/mxcrypto/jsbridge"
)

// The native primitives the loader supplies (jsbridge/js/host.mjs); see
// jsbridge.HostImports.

//go:wasmimport mxcrypto_host ready
func hostReady() int32

//go:wasmimport mxcrypto_host x25519_key
func hostX25519Key(d unsafe.Pointer, dLen int32) int32

//go:wasmimport mxcrypto_host x25519
func hostX25519(key int32, point, out unsafe.Pointer) int32

//go:wasmimport mxcrypto_host ed25519_key
func hostEd25519Key(d unsafe.Pointer, dLen int32, x unsafe.Pointer, xLen int32) int32

//go:wasmimport mxcrypto_host ed25519_sign
func hostEd25519Sign(key int32, msg unsafe.Pointer, msgLen int32, sig unsafe.Pointer) int32

//go:wasmimport mxcrypto_host aes256_cbc
func hostAES256CBC(encrypt int32, key, iv, data unsafe.Pointer, n int32, out unsafe.Pointer) int32

//go:wasmimport mxcrypto_host release
func hostRelease(key int32)

var hostImports = jsbridge.HostImports{
	Ready:       hostReady,
	X25519Key:   hostX25519Key,
	X25519:      hostX25519,
	Ed25519Key:  hostEd25519Key,
	Ed25519Sign: hostEd25519Sign,
	AES256CBC:   hostAES256CBC,
	Release:     hostRelease,
}
