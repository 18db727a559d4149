// Package accel lets the host lend mxcrypto native implementations of its
// most expensive primitives. Compiled to wasm, Go's X25519 takes about
// 600 µs, an Ed25519 signature 280 µs and AES-CBC 180 µs per KiB
// (bitsliced, one block at a time); Node's OpenSSL does each several times
// faster, in constant time.
//
// The pure-Go code stays the reference: with no host, or when the host
// declines (ok false: no such primitive, a low-order point, any error), the
// callers compute in Go. A host must give byte-identical results; the
// bridge has it checked against known-answer vectors before its first use
// (UseChecked), and the tests run the same operations with and without a
// host.
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

// checked is a host waiting for its check (UseChecked).
type checked struct {
	h     Host
	check func() bool
}

var (
	current atomic.Pointer[box]
	pending atomic.Pointer[checked]
)

// Use installs h for all later calls (nil removes it). Meant to be called
// once, at start-up, by the program embedding mxcrypto.
func Use(h Host) {
	pending.Store(nil)
	if h == nil {
		current.Store(nil)
		return
	}
	current.Store(&box{h})
}

// UseChecked installs h once check reports true, and never if it reports
// false. The check (a known-answer test) runs on the first Current, not
// here, so that a program's start does not pay for it; no result of h is
// used before it has passed. Calls made meanwhile, including the check's
// own (say, a reference computed in Go), get no host.
func UseChecked(h Host, check func() bool) {
	current.Store(nil)
	pending.Store(&checked{h, check})
}

// Current returns the installed host, or nil.
func Current() Host {
	if b := current.Load(); b != nil {
		return b.h
	}
	// One caller takes the pending host and checks it; any other sees none.
	if p := pending.Load(); p != nil && pending.CompareAndSwap(p, nil) && p.passes() {
		current.CompareAndSwap(nil, &box{p.h})
		return Current()
	}
	return nil
}

// passes runs the check; a check that panics fails.
func (p *checked) passes() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return p.check()
}
