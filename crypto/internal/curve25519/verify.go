package curve25519

import "sync"

// Odd multiples B, 3B, …, 15B for verification's sliding window.
var (
	baseOdd     [8]cached
	baseOddOnce sync.Once
)

func oddMultiples(out *[8]cached, p *extended) {
	var c completed
	var proj projective
	var p2, q extended
	var p2c cached
	proj.fromExtended(p)
	p2.fromCompleted(c.double(&proj))
	p2c.fromExtended(&p2)
	q = *p
	out[0].fromExtended(&q)
	for i := 1; i < 8; i++ {
		q.fromCompleted(c.add(&q, &p2c))
		out[i].fromExtended(&q)
	}
}

// slide recodes a into digits r[i] in {0, ±1, ±3, …, ±15}, a = sum r[i] 2^i,
// with nonzero digits at least 5 apart (width-5 sliding window).
func slide(r *[256]int8, a *[32]byte) {
	for i := range r {
		r[i] = int8(1 & (a[i>>3] >> uint(i&7)))
	}
	for i := range r {
		if r[i] == 0 {
			continue
		}
		for b := 1; b <= 6 && i+b < 256; b++ {
			if r[i+b] == 0 {
				continue
			}
			if r[i]+(r[i+b]<<b) <= 15 {
				r[i] += r[i+b] << b
				r[i+b] = 0
			} else if r[i]-(r[i+b]<<b) >= -15 {
				r[i] -= r[i+b] << b
				for k := i + b; k < 256; k++ {
					if r[k] == 0 {
						r[k] = 1
						break
					}
					r[k] = 0
				}
			} else {
				break
			}
		}
	}
}

// VarTimeCheck reports whether s*B - k*A encodes to r: RFC 8032 §5.1.7's
// cofactorless check [S]B = R + [k]A. a is the public key's encoding, which
// must be canonical and not of small order; s and k are scalars below 2^253
// (canonical S, reduced k). Variable time: all inputs are public.
func VarTimeCheck(a []byte, k, s *[32]byte, r []byte) bool {
	var A extended
	if _, ok := A.SetBytes(a); !ok {
		return false
	}
	if isSmallOrder(&A) {
		return false
	}
	baseTableOnce.Do(initBaseTable)
	baseOddOnce.Do(func() { oddMultiples(&baseOdd, &basePoint) })
	var aOdd [8]cached
	oddMultiples(&aOdd, &A)
	var ks, ss [256]int8
	slide(&ks, k)
	slide(&ss, s)

	i := 255
	for ; i >= 0 && ks[i] == 0 && ss[i] == 0; i-- {
	}
	// A step is a doubling, then the additions its digits ask for; the
	// result goes to projective coordinates (3 products) unless an addition
	// needs the extended ones (4).
	var acc projective
	var c completed
	var u extended
	acc.X.Zero()
	acc.Y.One()
	acc.Z.One()
	for ; i >= 0; i-- {
		c.double(&acc)
		if ks[i] > 0 {
			c.sub(u.fromCompleted(&c), &aOdd[ks[i]/2]) // -k*A
		} else if ks[i] < 0 {
			c.add(u.fromCompleted(&c), &aOdd[(-ks[i])/2])
		}
		if ss[i] > 0 {
			c.add(u.fromCompleted(&c), &baseOdd[ss[i]/2])
		} else if ss[i] < 0 {
			c.sub(u.fromCompleted(&c), &baseOdd[(-ss[i])/2])
		}
		acc.fromCompleted(&c)
	}
	var h extended
	h.X, h.Y, h.Z = acc.X, acc.Y, acc.Z
	enc := h.Bytes()
	return len(r) == 32 && string(enc[:]) == string(r)
}

// isSmallOrder reports whether 8A is the identity.
func isSmallOrder(p *extended) bool {
	var c completed
	var proj projective
	proj.fromExtended(p)
	proj.fromCompleted(c.double(&proj))
	proj.fromCompleted(c.double(&proj))
	proj.fromCompleted(c.double(&proj))
	return proj.X.IsZero() == 1
}
