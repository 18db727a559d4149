// Package accel lets the host lend mxcrypto native implementations of its
// most expensive primitives. Compiled to wasm, Go's X25519 takes about
// 600 µs, an Ed25519 signature 280 µs and AES-CBC 180 µs per KiB
// (bitsliced, one block at a time); Node's OpenSSL does each several times
// faster, in constant time.
//
// The pure-Go code stays the reference: with no host, or when the host
// declines (ok false: no such primitive, a low-order point, any error), the
// callers compute in Go. A host must give byte-identical results; the
// bridge checks known-answer vectors before it installs one, and the tests
// run the same operations with and without a host.
package accel

import "sync/atomic"

// Host is a set of native primitives. Every method may decline.
type Host interface {
	// X25519 is RFC 7748's function of a 32-byte scalar and u-coordinate.
	X25519(scalar, point []byte) (out [32]byte, ok bool)
	// Ed25519Sign signs msg with the key of this 32-byte seed, whose public
	// key is given (callers always know it; hosts may cache on it).
	Ed25519Sign(seed, public, msg []byte) (sig [64]byte, ok bool)
	// AES256CBC encrypts or decrypts whole 16-byte blocks, without padding,
	// into out (as long as data, and may be data itself).
	AES256CBC(encrypt bool, key, iv, data, out []byte) (ok bool)
}

type box struct{ h Host }

var current atomic.Pointer[box]

// Use installs h for all later calls (nil removes it). Meant to be called
// once, at start-up, by the program embedding mxcrypto.
func Use(h Host) {
	if h == nil {
		current.Store(nil)
		return
	}
	current.Store(&box{h})
}

// Current returns the installed host, or nil.
func Current() Host {
	if b := current.Load(); b != nil {
		return b.h
	}
	return nil
}
