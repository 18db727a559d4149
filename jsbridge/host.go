//go:build js && wasm

package jsbridge

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/accel"
	"github.com/mxcrypto/mxcrypto/crypto/aes256"
	"github.com/mxcrypto/mxcrypto/crypto/b64"
)

// jsHost is crypto/accel's Host over synchronous native functions the loader
// supplies (host.mjs: node:crypto in Node). Go calls them in the middle of a
// computation, so they must not be async.
//
// Bytes cross through one scratch Uint8Array owned by the host object:
// inputs are packed at its start, the output comes back there, so a call
// allocates no JS typed arrays. Key material passed as JWK text is encoded
// here, by the table-free b64.
type jsHost struct {
	// The host's functions, bound once: Invoke then skips a lookup by name.
	x25519Key, x25519, ed25519Key, ed25519Sign, aes256Cbc, grow js.Value

	scratch js.Value
	size    int
	packed  []byte                // inputs packed for one copy to scratch; reused
	keys    map[[32]byte]edKey    // Ed25519 keys imported by the host, by public key
	dh      map[[32]byte]js.Value // X25519 keys imported in this operation (see dhKey)
}

type edKey struct {
	seed   []byte
	handle js.Value
}

// maxCachedKeys bounds the imported signing keys (one per active Megolm
// session, plus the account's); importing costs as much as signing.
const maxCachedKeys = 256

func newJSHost(obj js.Value) *jsHost {
	h := &jsHost{keys: map[[32]byte]edKey{}, dh: map[[32]byte]js.Value{}}
	for name, dst := range map[string]*js.Value{
		"x25519Key": &h.x25519Key, "x25519": &h.x25519, "ed25519Key": &h.ed25519Key,
		"ed25519Sign": &h.ed25519Sign, "aes256Cbc": &h.aes256Cbc, "grow": &h.grow,
	} {
		f := obj.Get(name)
		if f.Type() != js.TypeFunction {
			return nil
		}
		*dst = f.Call("bind", obj)
	}
	h.reserve(4096)
	return h
}

func (h *jsHost) reserve(n int) {
	if n > h.size {
		h.scratch = h.grow.Invoke(n)
		h.size = h.scratch.Length()
	}
}

// put copies the parts to the start of the scratch buffer.
func (h *jsHost) put(parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	h.reserve(n)
	buf := h.packed[:0]
	for _, p := range parts {
		buf = append(buf, p...)
	}
	js.CopyBytesToJS(h.scratch, buf)
	clear(buf)
	h.packed = buf[:0]
}

// take reads n output bytes back from the scratch buffer.
func (h *jsHost) take(n int) []byte {
	out := make([]byte, n)
	if js.CopyBytesToGo(out, h.scratch) != n {
		return nil
	}
	return out
}

// call runs a host function; any JS exception or unexpected result declines.
func (h *jsHost) call(fn js.Value, args ...any) (n int, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = 0, false
		}
	}()
	v := fn.Invoke(args...)
	if v.Type() != js.TypeNumber {
		return 0, false
	}
	return v.Int(), true
}

func (h *jsHost) X25519(scalar, point []byte) (out [32]byte, ok bool) {
	if len(scalar) != 32 || len(point) != 32 {
		return out, false
	}
	key, ok := h.dhKey(scalar)
	if !ok {
		return out, false
	}
	h.put(point)
	if n, ok := h.call(h.x25519, key); !ok || n != 32 {
		return out, false
	}
	copy(out[:], h.take(32))
	return out, true
}

// dhKey imports an X25519 private key, or reuses the one imported earlier in
// the same operation: Olm uses an ephemeral or one-time key twice in a 3DH,
// and a new ratchet key right after making it. Importing costs as much as
// the DH itself. The cache is emptied after every operation (forget), so no
// ratchet key outlives its use here.
func (h *jsHost) dhKey(scalar []byte) (js.Value, bool) {
	id := sha256.Sum256(scalar)
	if k, found := h.dh[id]; found {
		return k, true
	}
	k, ok := h.invokeValue(h.x25519Key, b64.EncodeURL(scalar))
	if !ok {
		return js.Value{}, false
	}
	if len(h.dh) >= 16 {
		clear(h.dh)
	}
	h.dh[id] = k
	return k, true
}

// forget drops the X25519 keys imported during an operation.
func (h *jsHost) forget() {
	if len(h.dh) > 0 {
		clear(h.dh)
	}
}

// invokeValue calls a host function returning an object; any exception or
// falsy result declines.
func (h *jsHost) invokeValue(fn js.Value, args ...any) (v js.Value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = js.Value{}, false
		}
	}()
	v = fn.Invoke(args...)
	return v, v.Truthy()
}

func (h *jsHost) Ed25519Sign(seed, public, msg []byte) (sig [64]byte, ok bool) {
	if len(seed) != 32 || len(public) != 32 {
		return sig, false
	}
	key, ok := h.signingKey(seed, public)
	if !ok {
		return sig, false
	}
	h.put(msg)
	if n, ok := h.call(h.ed25519Sign, key, len(msg)); !ok || n != 64 {
		return sig, false
	}
	copy(sig[:], h.take(64))
	return sig, true
}

func (h *jsHost) signingKey(seed, public []byte) (js.Value, bool) {
	id := [32]byte(public)
	if k, found := h.keys[id]; found && subtle.ConstantTimeCompare(k.seed, seed) == 1 {
		return k.handle, true
	}
	handle, ok := h.invokeValue(h.ed25519Key, b64.EncodeURL(seed), b64.EncodeURL(public))
	if !ok {
		return js.Value{}, false
	}
	if len(h.keys) >= maxCachedKeys {
		clear(h.keys)
	}
	h.keys[id] = edKey{seed: append([]byte(nil), seed...), handle: handle}
	return handle, true
}

func (h *jsHost) AES256CBC(encrypt bool, key, iv, data []byte) ([]byte, bool) {
	if len(key) != 32 || len(iv) != 16 || len(data)%16 != 0 {
		return nil, false
	}
	h.put(key, iv, data)
	if n, ok := h.call(h.aes256Cbc, encrypt, len(data)); !ok || n != len(data) {
		return nil, false
	}
	out := h.take(len(data))
	return out, out != nil
}

// Known answers a host must give before it is used: RFC 7748 §5.2 (X25519),
// RFC 8032 §7.1 test 2 (Ed25519), and AES-256-CBC checked against the Go
// implementation.
var (
	kaX25519Scalar = mustHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
	kaX25519Point  = mustHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
	kaX25519Out    = mustHex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
	kaEdSeed       = mustHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
	kaEdPublic     = mustHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
	kaEdMsg        = mustHex("72")
	kaEdSig        = mustHex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// selfTest reports whether the host gives the known answers.
func (h *jsHost) selfTest(goCBC func(key, iv, pt []byte) ([]byte, error)) bool {
	x, ok := h.X25519(kaX25519Scalar, kaX25519Point)
	if !ok || subtle.ConstantTimeCompare(x[:], kaX25519Out) != 1 {
		return false
	}
	sig, ok := h.Ed25519Sign(kaEdSeed, kaEdPublic, kaEdMsg)
	if !ok || subtle.ConstantTimeCompare(sig[:], kaEdSig) != 1 {
		return false
	}
	key, iv, pt := kaX25519Out, kaEdSig[:16], kaEdSig[:48]
	want, err := goCBC(key, iv, pt) // one more block: the padding
	if err != nil || len(want) != 64 {
		return false
	}
	ct, ok := h.AES256CBC(true, key, iv, pt)
	if !ok || subtle.ConstantTimeCompare(ct, want[:48]) != 1 {
		return false
	}
	back, ok := h.AES256CBC(false, key, iv, ct)
	return ok && subtle.ConstantTimeCompare(back, pt) == 1
}

var _ accel.Host = (*jsHost)(nil)

// useHostFunc is the loader's `_useHost(host)`: it installs the host if it
// gives the known answers, and reports whether it did. `_useHost(null)`
// removes it. Synchronous: it runs once, before any other call.
func useHostFunc() js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (installed any) {
		defer func() {
			if recover() != nil {
				accel.Use(nil)
				installed = false
			}
		}()
		accel.Use(nil) // the self-test compares with Go's own results
		installedHost = nil
		if len(args) == 0 || args[0].Type() != js.TypeObject {
			return false
		}
		h := newJSHost(args[0])
		if h == nil || !h.selfTest(aes256.EncryptCBC) {
			return false
		}
		accel.Use(h)
		installedHost = h
		return true
	})
}

// installedHost is the host accel uses, if it is ours (for forget).
var installedHost *jsHost

// endOperation runs after every export and direct call.
func endOperation() {
	if installedHost != nil {
		installedHost.forget()
	}
}
