package curve25519

// Point is a point of the Ed25519 curve.
type Point struct{ p extended }

// Bytes returns the RFC 8032 encoding.
func (p *Point) Bytes() [32]byte { return p.p.Bytes() }

// MontgomeryU returns the Curve25519 u-coordinate of the equivalent point:
// the X25519 public key when p = a * B for a clamped scalar a.
func (p *Point) MontgomeryU() [32]byte { return p.p.montgomeryU() }

// X25519Base returns X25519(scalar, 9), the public key of an X25519
// private key, via the fixed-base Edwards multiplication. scalar is
// clamped here (RFC 7748 §5).
func X25519Base(scalar []byte) [32]byte {
	var e [32]byte
	copy(e[:], scalar)
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64
	u := ScalarBaseMult(&e).MontgomeryU()
	clear(e[:])
	return u
}
