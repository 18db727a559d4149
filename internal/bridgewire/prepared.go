package bridgewire

import "github.com/mxcrypto/mxcrypto/errcode"

// The restore prepare batch (docs/bridge-formats.md §3), loader to a
// worker's instance, per entry:
//
//	shared 32 | mac 8 | u32 ciphertext length | ciphertext | u16 room id length | room id | u16 session id length | session id
//
// and the prepared batch (§4), the worker's instance to the main instance
// (both ends in Go, the loader passes it on unread), per entry:
//
//	0x00 | u16 room id length | room id | u16 session id length | session id | u32 first known index | u32 state length | state
//	0x01 | u8 code length | code          (an entry that failed)

// MaxID is the longest room or session id the prepare formats carry.
const MaxID = 1<<16 - 1

// PrepareEntry is one entry of a prepare batch; its slices alias the batch.
type PrepareEntry struct {
	SharedEntry
	RoomID, SessionID []byte
}

func (w *Writer) PrepareEntry(e PrepareEntry) {
	w.SharedEntry(e.SharedEntry)
	w.Str16(string(e.RoomID))
	w.Str16(string(e.SessionID))
}

// ReadPrepareBatch reads count entries and nothing more.
func ReadPrepareBatch(b []byte, count int) ([]PrepareEntry, error) {
	r := NewReader(b, "prepare batch")
	if count < 0 || count > len(b)/(SharedSize+MACSize+4+2+2) {
		r.Fail("%d entries cannot fit in %d bytes", count, len(b))
	}
	var out []PrepareEntry
	for i := 0; i < count && r.err == nil; i++ {
		e := PrepareEntry{SharedEntry: r.SharedEntry()}
		e.RoomID = r.Bytes16("room id")
		e.SessionID = r.Bytes16("session id")
		out = append(out, e)
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}

const (
	preparedKey     = 0
	preparedFailure = 1
)

// Inbound is a Megolm session on its way to the store; the fields are those
// of store.InboundSession, in the same order, so one converts to the other.
type Inbound struct {
	RoomID, SessionID string
	FirstKnownIndex   uint32
	State             []byte
	BackedUp          bool
}

// AppendPreparedKey appends a prepared room key. Ids longer than MaxID are
// the caller's bug (the prepare batch cannot carry them).
func AppendPreparedKey(b []byte, in Inbound) []byte {
	w := Writer{B: append(b, preparedKey)}
	w.Str16(in.RoomID)
	w.Str16(in.SessionID)
	w.U32(in.FirstKnownIndex)
	w.Bytes32(in.State)
	return w.B
}

// AppendPreparedFailure appends an entry that failed with code.
func AppendPreparedFailure(b []byte, code errcode.Code) []byte {
	if len(code) > 255 {
		code = errcode.Internal
	}
	w := Writer{B: append(b, preparedFailure)}
	w.Str8(string(code))
	return w.B
}

// ReadPrepared calls key or failure for each entry of b, in order. States
// are sub-slices of b. A malformed batch is BAD_INPUT, reported before any
// entry is passed on.
func ReadPrepared(b []byte, key func(Inbound), failure func(errcode.Code)) error {
	for pass := 0; pass < 2; pass++ {
		r := NewReader(b, "prepared room keys")
		for r.Len() > 0 {
			switch kind := r.U8("kind"); kind {
			case preparedKey:
				var in Inbound
				room := r.Bytes16("room id")
				session := r.Bytes16("session id")
				in.FirstKnownIndex = r.U32("first known index")
				in.State = r.Bytes32("state")
				if pass == 1 {
					in.RoomID, in.SessionID = string(room), string(session)
					key(in)
				}
			case preparedFailure:
				code := PreparedCode(r.Bytes8("code"))
				if pass == 1 && r.err == nil {
					failure(code)
				}
			default:
				r.Fail("unknown entry kind %d", kind)
			}
		}
		if err := r.Finish(); err != nil {
			return err
		}
	}
	return nil
}

// PreparedCode keeps a failure's code if it looks like one (A-Z, 0-9, _),
// and is INTERNAL otherwise.
func PreparedCode(b []byte) errcode.Code {
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
