package megolm

import (
	"crypto/subtle"

	"github.com/mxcrypto/mxcrypto/crypto/internal/hmacsha256"
)

// ratchetPartSize is the size of each of the four ratchet parts R_i,0..R_i,3.
const (
	ratchetPartSize = 32
	ratchetSize     = 4 * ratchetPartSize
)

// ratchet is the Megolm ratchet R_i with its counter i.
//
// The four parts advance at different speeds: R3 on every step, R2 every
// 2^8 steps, R1 every 2^16, R0 every 2^24. A slower part reseeds all faster
// ones when it moves, so reaching index t from i costs at most 255 hashes per
// part (advanceTo), not t−i hashes; that is what makes decrypting a message
// far ahead of the last one cheap, and it is also why knowing R_i reveals
// nothing about earlier indices (every step is a one-way HMAC).
//
// The zero value is a ratchet of all-zero bytes at counter 0.
type ratchet struct {
	parts   [4][ratchetPartSize]byte
	counter uint32
}

// newRatchet builds a ratchet from its 128-byte serialisation (R0||R1||R2||R3).
// The caller has checked the length.
func newRatchet(data []byte, counter uint32) ratchet {
	var r ratchet
	for k := range r.parts {
		copy(r.parts[k][:], data[k*ratchetPartSize:])
	}
	r.counter = counter
	return r
}

// bytes appends R0||R1||R2||R3 to dst.
func (r *ratchet) bytes(dst []byte) []byte {
	for k := range r.parts {
		dst = append(dst, r.parts[k][:]...)
	}
	return dst
}

// rehash sets parts[dst] = H_k(parts[src]) with k = dst: HMAC-SHA-256 keyed
// by the source part over the single byte k. src and dst may be the same part.
func (r *ratchet) rehash(src, dst int) {
	copy(r.parts[dst][:], hmacsha256.Sum(r.parts[src][:], []byte{byte(dst)}))
}

// advance moves the ratchet forward by exactly one index (wrapping at 2^32).
func (r *ratchet) advance() {
	r.counter++
	// h is the slowest part that moves at the new counter.
	h := 3
	switch {
	case r.counter&0xFFFFFF == 0:
		h = 0
	case r.counter&0xFFFF == 0:
		h = 1
	case r.counter&0xFF == 0:
		h = 2
	}
	// Descending, so R_h is overwritten last and every faster part is
	// derived from the old R_h.
	for k := 3; k >= h; k-- {
		r.rehash(h, k)
	}
}

// advanceTo moves the ratchet forward to counter target, one base-256 digit
// of the counter at a time: for each part j (slowest first) it rehashes R_j
// once per unit the digit must move, and the last of those moves reseeds the
// faster parts. The result equals calling advance target−counter times
// (mod 2^32); a target below the counter wraps all the way round.
func (r *ratchet) advanceTo(target uint32) {
	for j := 0; j < 4; j++ {
		shift := uint(8 * (3 - j))
		steps := ((target >> shift) - (r.counter >> shift)) & 0xFF
		if steps == 0 {
			// Same digit. Only the top digit can be equal with a target
			// below the counter (lower digits are compared after the
			// counter has been rounded down to the target's prefix), and
			// then the whole 2^32 cycle must be walked.
			if target >= r.counter {
				continue
			}
			steps = 256
		}
		for ; steps > 1; steps-- {
			r.rehash(j, j)
		}
		for k := 3; k >= j; k-- {
			r.rehash(j, k)
		}
		r.counter = target & (0xFFFFFFFF << shift)
	}
}

// equal compares two ratchets (state and counter) in constant time with
// respect to the secret parts.
func (r *ratchet) equal(o *ratchet) bool {
	same := 1
	for k := range r.parts {
		same &= subtle.ConstantTimeCompare(r.parts[k][:], o.parts[k][:])
	}
	return same == 1 && r.counter == o.counter
}

// messageKeys derives the per-message AES key, MAC key and IV from the
// current ratchet state: HKDF-SHA-256 with a zero salt and info "MEGOLM_KEYS".
func (r *ratchet) messageKeys() (aesKey, macKey, iv []byte) {
	var salt [32]byte
	ikm := r.bytes(make([]byte, 0, ratchetSize))
	out := hmacsha256.HKDF(ikm, salt[:], "MEGOLM_KEYS", 80)
	clear(ikm)
	return out[:32], out[32:64], out[64:80]
}
