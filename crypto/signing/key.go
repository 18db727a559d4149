package signing

import "github.com/mxcrypto/mxcrypto/crypto/internal/ed25519x"

// PrivateKey is an Ed25519 signing key (device, cross-signing). It is the
// internal implementation's type, so keys made here sign with the wasm-tuned
// code; Wipe it when done.
type PrivateKey = ed25519x.PrivateKey

// SeedSize is the size of an Ed25519 seed, the form secret storage keeps.
const SeedSize = ed25519x.SeedSize

// GenerateKey returns a new random signing key.
func GenerateKey() *PrivateKey { return ed25519x.Generate() }

// KeyFromSeed returns the signing key of a 32-byte seed.
func KeyFromSeed(seed []byte) (*PrivateKey, error) { return ed25519x.FromSeed(seed) }
