//go:build js && wasm

package jsbridge

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"unsafe"

	"github.com/mxcrypto/mxcrypto/internal/accel"
	"github.com/mxcrypto/mxcrypto/internal/aes256"
)

// HostImports are the native primitives the loader supplies as the wasm
// import module "mxcrypto_host" (host.mjs: node:crypto in Node, declining
// stubs elsewhere). They are declared with go:wasmimport in the main package,
// since a test binary of this package has no such imports. A wasm import
// costs a function call; going through syscall/js cost ~10 µs and a few
// allocations per call.
//
// Pointers are into Go memory and valid for the call only. Lengths and
// results are byte counts; 0 means the host declined. Keys are imported once
// and named by a handle, which Release drops. Private keys cross as raw
// bytes read in place (the host wraps them in PKCS#8 DER and wipes its
// copy): no encoded text of a key is left behind in Go's heap, as the
// base64url JWK strings of earlier versions were.
type HostImports struct {
	Ready       func() int32
	X25519Key   func(d unsafe.Pointer, dLen int32) int32
	X25519      func(key int32, point, out unsafe.Pointer) int32
	Ed25519Key  func(d unsafe.Pointer, dLen int32, x unsafe.Pointer, xLen int32) int32
	Ed25519Sign func(key int32, msg unsafe.Pointer, msgLen int32, sig unsafe.Pointer) int32
	AES256CBC   func(encrypt int32, key, iv, data unsafe.Pointer, n int32, out unsafe.Pointer) int32
	Release     func(key int32)
}

// importHost is internal/accel's Host over HostImports.
type importHost struct {
	imp  HostImports
	keys map[[32]byte]edKey // Ed25519 keys imported by the host, by public key
	dh   map[[32]byte]int32 // X25519 keys imported in this operation (see dhKey)
}

type edKey struct {
	seed   []byte
	handle int32
}

// maxCachedKeys bounds the imported signing keys (one per active Megolm
// session, plus the account's); importing costs as much as signing.
const maxCachedKeys = 256

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func (h *importHost) X25519(scalar, point []byte) (out [32]byte, ok bool) {
	if len(scalar) != 32 || len(point) != 32 {
		return out, false
	}
	key, ok := h.dhKey(scalar)
	if !ok {
		return out, false
	}
	if h.imp.X25519(key, ptr(point), unsafe.Pointer(&out)) != 32 {
		return out, false
	}
	return out, true
}

// dhKey imports an X25519 private key, or reuses the one imported earlier in
// the same operation: Olm uses an ephemeral or one-time key twice in a 3DH,
// and a new ratchet key right after making it. Importing costs as much as
// the DH itself. The keys are released after every operation (forget), so
// no ratchet key outlives its use in the host.
func (h *importHost) dhKey(scalar []byte) (int32, bool) {
	id := sha256.Sum256(scalar)
	if k, found := h.dh[id]; found {
		return k, true
	}
	k := h.imp.X25519Key(ptr(scalar), int32(len(scalar)))
	if k == 0 {
		return 0, false
	}
	if len(h.dh) >= 16 {
		h.forget()
	}
	h.dh[id] = k
	return k, true
}

// forget releases the X25519 keys imported during an operation.
func (h *importHost) forget() {
	for id, k := range h.dh {
		h.imp.Release(k)
		delete(h.dh, id)
	}
}

func (h *importHost) Ed25519Sign(seed, public, msg []byte) (sig [64]byte, ok bool) {
	if len(seed) != 32 || len(public) != 32 {
		return sig, false
	}
	key, ok := h.signingKey(seed, public)
	if !ok {
		return sig, false
	}
	if h.imp.Ed25519Sign(key, ptr(msg), int32(len(msg)), unsafe.Pointer(&sig)) != 64 {
		return sig, false
	}
	return sig, true
}

func (h *importHost) signingKey(seed, public []byte) (int32, bool) {
	id := [32]byte(public)
	if k, found := h.keys[id]; found && subtle.ConstantTimeCompare(k.seed, seed) == 1 {
		return k.handle, true
	}
	handle := h.imp.Ed25519Key(ptr(seed), int32(len(seed)), ptr(public), int32(len(public)))
	if handle == 0 {
		return 0, false
	}
	if old, found := h.keys[id]; found {
		h.imp.Release(old.handle)
	}
	if len(h.keys) >= maxCachedKeys {
		for id, k := range h.keys {
			h.imp.Release(k.handle)
			delete(h.keys, id)
		}
	}
	h.keys[id] = edKey{seed: append([]byte(nil), seed...), handle: handle}
	return handle, true
}

func (h *importHost) AES256CBC(encrypt bool, key, iv, data, out []byte) bool {
	if len(key) != 32 || len(iv) != 16 || len(data)%16 != 0 || len(out) != len(data) {
		return false
	}
	enc := int32(0)
	if encrypt {
		enc = 1
	}
	return h.imp.AES256CBC(enc, ptr(key), ptr(iv), ptr(data), int32(len(data)), ptr(out)) == int32(len(data))
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

// selfTest reports whether the host gives the known answers. It runs as
// accel's check (UseChecked), while accel lends no host, so that aes256
// computes the reference in Go.
func (h *importHost) selfTest() bool {
	defer h.forget()
	x, ok := h.X25519(kaX25519Scalar, kaX25519Point)
	if !ok || subtle.ConstantTimeCompare(x[:], kaX25519Out) != 1 {
		return false
	}
	sig, ok := h.Ed25519Sign(kaEdSeed, kaEdPublic, kaEdMsg)
	if !ok || subtle.ConstantTimeCompare(sig[:], kaEdSig) != 1 {
		return false
	}
	key, iv, pt := kaX25519Out, kaEdSig[:16], kaEdSig[:48]
	want, err := aes256.EncryptCBC(key, iv, pt) // one more block: the padding
	if err != nil || len(want) != 64 {
		return false
	}
	ct := make([]byte, len(pt))
	if !h.AES256CBC(true, key, iv, pt, ct) || subtle.ConstantTimeCompare(ct, want[:48]) != 1 {
		return false
	}
	back := append([]byte(nil), ct...)
	return h.AES256CBC(false, key, iv, back, back) && subtle.ConstantTimeCompare(back, pt) == 1
}

// installedHost is the host accel uses or will check, if any (for forget).
var installedHost *importHost

// InstallHost lends the host's primitives to internal/accel if the host says
// it has them; the known-answer test runs on first use (accel.UseChecked),
// not at start, and a host that fails it is never used. The main package
// calls it once, before handing out the API.
func InstallHost(imp HostImports) {
	accel.Use(nil)
	installedHost = nil
	if imp.Ready == nil || imp.Ready() != 1 {
		return
	}
	h := &importHost{imp: imp, keys: map[[32]byte]edKey{}, dh: map[[32]byte]int32{}}
	accel.UseChecked(h, h.selfTest)
	installedHost = h
}

// HostInUse reports whether accel uses the host InstallHost lent (running
// its known-answer test if that has not run yet).
func HostInUse() bool {
	return installedHost != nil && accel.Current() == accel.Host(installedHost)
}

// endOperation runs after every export and direct call.
func endOperation() {
	if installedHost != nil && len(installedHost.dh) > 0 {
		installedHost.forget()
	}
}

var _ accel.Host = (*importHost)(nil)
