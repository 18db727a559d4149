package bridgewire

// Packed inbound sessions (docs/bridge-formats.md §5): Store.putInbound packs
// every session into one buffer so 100,000 sessions cross in one copy. Per
// session:
//
//	u32 length | room id | u32 length | session id | u32 length | state | u32 first known index | u8 backed up (0 or 1)
//
// The count is passed beside the buffer.

// minPackedInbound is the size of a session with empty fields.
const minPackedInbound = 4 + 4 + 4 + 4 + 1

func AppendPackedInbound(b []byte, in Inbound) []byte {
	w := Writer{B: b}
	w.Str32(in.RoomID)
	w.Str32(in.SessionID)
	w.Bytes32(in.State)
	w.U32(in.FirstKnownIndex)
	w.Bool(in.BackedUp)
	return w.B
}

// ReadPackedInbound reads exactly count sessions. A count the buffer cannot
// hold is refused before anything is allocated for it. States alias b.
func ReadPackedInbound(b []byte, count int) ([]Inbound, error) {
	r := NewReader(b, "Store.putInbound")
	if count < 0 || count > len(b)/minPackedInbound {
		r.Fail("%d sessions cannot fit in %d bytes", count, len(b))
		return nil, r.err
	}
	out := make([]Inbound, 0, count)
	for i := 0; i < count && r.err == nil; i++ {
		var in Inbound
		in.RoomID = string(r.Bytes32("room id"))
		in.SessionID = string(r.Bytes32("session id"))
		in.State = r.Bytes32("state")
		in.FirstKnownIndex = r.U32("first known index")
		in.BackedUp = r.Bool("backed up")
		out = append(out, in)
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}
