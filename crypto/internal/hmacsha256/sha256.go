package hmacsha256

import "encoding/binary"

// A minimal SHA-256 (FIPS 180-4) over the unrolled block function, and
// HMAC with its key's pad blocks compressed once: HKDF's expand step then
// costs two blocks per 32 bytes instead of four.

var initial = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

type digest struct {
	h    [8]uint32
	buf  [64]byte
	nbuf int
	len  uint64
}

func (d *digest) write(p []byte) {
	d.len += uint64(len(p))
	if d.nbuf > 0 {
		n := copy(d.buf[d.nbuf:], p)
		d.nbuf += n
		p = p[n:]
		if d.nbuf < 64 {
			return
		}
		block(&d.h, d.buf[:])
		d.nbuf = 0
	}
	if full := len(p) &^ 63; full > 0 {
		block(&d.h, p[:full])
		p = p[full:]
	}
	d.nbuf = copy(d.buf[:], p)
}

func (d *digest) sum() (out [32]byte) {
	n := d.len
	var pad [72]byte
	pad[0] = 0x80
	padLen := 56 - int(n%64)
	if padLen <= 0 {
		padLen += 64
	}
	binary.BigEndian.PutUint64(pad[padLen:], n*8)
	d.write(pad[:padLen+8])
	for i, v := range d.h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	clear(d.buf[:])
	return out
}

// mac is an HMAC-SHA-256 key: the states after its inner and outer pad blocks.
type mac struct{ inner, outer [8]uint32 }

func newMAC(key []byte) mac {
	var k [64]byte
	if len(key) > 64 {
		d := digest{h: initial}
		d.write(key)
		h := d.sum()
		copy(k[:], h[:])
	} else {
		copy(k[:], key)
	}
	var m mac
	for i := range k {
		k[i] ^= 0x36
	}
	m.inner = initial
	block(&m.inner, k[:])
	for i := range k {
		k[i] ^= 0x36 ^ 0x5c
	}
	m.outer = initial
	block(&m.outer, k[:])
	clear(k[:])
	return m
}

// sum is the HMAC of the concatenated parts.
func (m *mac) sum(parts ...[]byte) [32]byte {
	d := digest{h: m.inner, len: 64}
	for _, p := range parts {
		d.write(p)
	}
	inner := d.sum()
	d = digest{h: m.outer, len: 64}
	d.write(inner[:])
	return d.sum()
}

func ownSum(key, msg []byte) []byte {
	m := newMAC(key)
	s := m.sum(msg)
	return s[:]
}

// ownHKDF is RFC 5869. An empty salt means HashLen zero bytes, which HMAC's
// zero padding of short keys makes the same key.
func ownHKDF(ikm, salt []byte, info string, n int) []byte {
	extract := newMAC(salt)
	prk := extract.sum(ikm)
	expand := newMAC(prk[:])
	clear(prk[:])
	out := make([]byte, 0, n+32)
	var t []byte
	for i := byte(1); len(out) < n; i++ {
		s := expand.sum(t, []byte(info), []byte{i})
		out = append(out, s[:]...)
		t = out[len(out)-32:]
	}
	return out[:n]
}
