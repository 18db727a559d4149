package passphrase

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"time"
)

// PauseEvery is about how much PBKDF2 work DeriveKeyPaced does between
// pauses: a fifth of the 100 ms a JS thread may be kept busy.
const PauseEvery = 20 * time.Millisecond

// DeriveKeyPaced is DeriveKey (the same bytes) that calls pause about every
// PauseEvery of work. Under wasm Go runs on the JS thread, and a file asking
// for ten million rounds takes seconds; a pause that blocks the goroutine
// (time.Sleep) hands the thread back to the event loop meanwhile. It is for
// callers running on their own goroutine: a pause inside a synchronous JS
// callback would deadlock.
func DeriveKeyPaced(passphrase, salt string, iterations, bits int, pause func()) ([]byte, error) {
	if err := CheckParams(iterations, bits); err != nil {
		return nil, err
	}
	secret := []byte(passphrase)
	prf := hmac.New(sha512.New, secret)
	clear(secret)
	size := prf.Size()
	blocks := (bits/8 + size - 1) / size
	out := make([]byte, 0, blocks*size)
	u := make([]byte, 0, size)
	t := make([]byte, size)
	var counter [4]byte
	last := time.Now()
	for block := 1; block <= blocks; block++ {
		// RFC 8018 §5.2: U1 = PRF(P, S || INT(block)), Uj = PRF(P, Uj-1),
		// T = U1 ^ … ^ Uc.
		prf.Reset()
		prf.Write([]byte(salt))
		binary.BigEndian.PutUint32(counter[:], uint32(block))
		prf.Write(counter[:])
		u = prf.Sum(u[:0])
		copy(t, u)
		for i := 1; i < iterations; i++ {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			subtle.XORBytes(t, t, u)
			if pause != nil && i%512 == 0 && time.Since(last) >= PauseEvery {
				pause()
				last = time.Now()
			}
		}
		out = append(out, t...)
	}
	clear(u[:cap(u)])
	clear(t)
	key := out[: bits/8 : bits/8]
	clear(out[bits/8 : cap(out)])
	return key, nil
}
