//go:build !mxcrypto_core

package jsbridge

import (
	"encoding/binary"

	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/device"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/store"
)

// A prepared batch carries restored room keys from a worker thread's
// instance, which decrypted and checked them, to the main instance, which
// stores them: bytes that need no parsing beyond their lengths, so the main
// thread does little per key. Little-endian; each entry is
//
//	0x00 roomLen(u16) room sessionLen(u16) session firstKnownIndex(u32) stateLen(u32) state
//	0x01 codeLen(u8) code          an entry that failed, with its error code
const (
	preparedKey     = 0
	preparedFailure = 1
	maxPreparedID   = 1<<16 - 1
)

func appendPrepared(out []byte, rec store.InboundSession) []byte {
	out = append(out, preparedKey)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(rec.RoomID)))
	out = append(out, rec.RoomID...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(rec.SessionID)))
	out = append(out, rec.SessionID...)
	out = binary.LittleEndian.AppendUint32(out, rec.FirstKnownIndex)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(rec.State)))
	return append(out, rec.State...)
}

func appendPreparedFailure(out []byte, code errcode.Code) []byte {
	if len(code) > 255 {
		code = errcode.Internal
	}
	out = append(out, preparedFailure, byte(len(code)))
	return append(out, code...)
}

// readPrepared calls key or failure for each entry of b, in order. States
// are sub-slices of b. A malformed batch is BAD_INPUT, reported before any
// entry is passed on.
func readPrepared(b []byte, key func(store.InboundSession), failure func(errcode.Code)) error {
	for pass := 0; pass < 2; pass++ {
		r := b
		for len(r) > 0 {
			kind := r[0]
			r = r[1:]
			switch kind {
			case preparedKey:
				var rec store.InboundSession
				var room, session, state []byte
				var ok bool
				room, r, ok = cut16(r)
				if ok {
					session, r, ok = cut16(r)
				}
				if ok && len(r) >= 8 {
					rec.FirstKnownIndex = binary.LittleEndian.Uint32(r)
					n := uint64(binary.LittleEndian.Uint32(r[4:]))
					r = r[8:]
					if ok = n <= uint64(len(r)); ok {
						state, r = r[:n:n], r[n:]
					}
				} else {
					ok = false
				}
				if !ok {
					return errcode.New(errcode.BadInput, "prepared room keys: entry truncated")
				}
				if pass == 1 {
					rec.RoomID, rec.SessionID, rec.State = string(room), string(session), state
					key(rec)
				}
			case preparedFailure:
				if len(r) < 1 || len(r) < 1+int(r[0]) {
					return errcode.New(errcode.BadInput, "prepared room keys: failure truncated")
				}
				code := preparedCode(r[1 : 1+int(r[0])])
				r = r[1+int(r[0]):]
				if pass == 1 {
					failure(code)
				}
			default:
				return errcode.New(errcode.BadInput, "prepared room keys: unknown entry kind %d", kind)
			}
		}
	}
	return nil
}

func cut16(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, b, false
	}
	n := int(binary.LittleEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, b, false
	}
	return b[2 : 2+n], b[2+n:], true
}

// preparedCode keeps a failure's code if it looks like one (A-Z, 0-9, _).
func preparedCode(b []byte) errcode.Code {
	if len(b) == 0 {
		return errcode.Internal
	}
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return errcode.Internal
		}
	}
	return errcode.Code(b)
}

// prepareBatch decrypts count backup entries whose X25519 step was done by
// the host and prepares each as a room key to restore (device.PrepareRestored),
// returning a prepared batch. Each input entry is
//
//	shared(32) mac(8) ctLen(u32) ciphertext roomLen(u16) room sessionLen(u16) session
//
// The decrypted session data stays in Go and is wiped after use.
func prepareBatch(in []byte, count int) ([]byte, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < count; i++ {
		if len(in) < 44 {
			return nil, errcode.New(errcode.BadInput, "batch truncated at entry %d", i)
		}
		shared, mac := in[:32], in[32:40]
		n := uint64(binary.LittleEndian.Uint32(in[40:44]))
		if uint64(len(in)-44) < n {
			return nil, errcode.New(errcode.BadInput, "batch truncated at entry %d", i)
		}
		ct := in[44 : 44+n]
		room, rest, ok := cut16(in[44+n:])
		var session []byte
		if ok {
			session, rest, ok = cut16(rest)
		}
		if !ok {
			return nil, errcode.New(errcode.BadInput, "batch truncated at entry %d", i)
		}
		in = rest
		pt, err := pk.DecryptRaw(shared, mac, ct)
		clear(shared)
		var rec store.InboundSession
		if err == nil {
			rec, err = device.PrepareRestored(string(room), string(session), pt)
			clear(pt)
		}
		if err != nil {
			out = appendPreparedFailure(out, errcode.Of(err))
		} else {
			out = appendPrepared(out, rec)
		}
	}
	if len(in) != 0 {
		return nil, errcode.New(errcode.BadInput, "batch has %d bytes after its %d entries", len(in), count)
	}
	return out, nil
}
