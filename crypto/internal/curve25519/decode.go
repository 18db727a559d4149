package curve25519

import (
	"bytes"

	fe "github.com/mxcrypto/mxcrypto/crypto/internal/field25519"
)

// SetBytes decodes an RFC 8032 point encoding (§5.1.3), refusing a y that
// is not canonical (>= p) and x = 0 with the sign bit set, and returns p
// and whether the encoding was valid. Not constant time in validity.
func (p *extended) SetBytes(b []byte) (*extended, bool) {
	if len(b) != 32 {
		return nil, false
	}
	var y, u, v, x fe.Element
	y.SetBytes(b)
	canon := y.Bytes()
	if !bytes.Equal(canon[:31], b[:31]) || canon[31] != b[31]&0x7f {
		return nil, false
	}
	one := fe.Element{1}
	u.Square(&y)
	v.Mul(&u, &d)
	u.Sub(&u, &one) // y^2 - 1
	v.Add(&v, &one) // d y^2 + 1
	if x.SqrtRatio(&u, &v) != 1 {
		return nil, false
	}
	sign := int32(b[31] >> 7)
	if x.IsZero() == 1 && sign == 1 {
		return nil, false
	}
	x.CondNeg(x.IsNegative() ^ sign)
	p.X = x
	p.Y.Mul(&y, &one)
	p.Z.One()
	p.T.Mul(&x, &y)
	return p, true
}
