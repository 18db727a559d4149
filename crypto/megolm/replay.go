package megolm

import (
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// ReplayGuard remembers which event was first decrypted at each (session,
// message index). Megolm lets anyone holding a message decrypt it again, so a
// server (or anyone who can inject events) could resend an old message as a
// new event; the spec asks clients to reject a repeated index while still
// allowing the same event to be decrypted again (e.g. after a restart, or
// when the timeline is re-fetched). Sessions are keyed by session id alone:
// it is the Ed25519 public key, globally unique. Safe for concurrent use.
type ReplayGuard struct {
	mu   sync.Mutex
	seen map[string]map[uint32]string // session id → index → event id
}

// NewReplayGuard returns an empty guard.
func NewReplayGuard() *ReplayGuard {
	return &ReplayGuard{seen: map[string]map[uint32]string{}}
}

// Check records that eventID decrypted at (sessionID, index). It returns a
// ReplayedMessage error, recording nothing, when a different event was
// already recorded there; the same event again is fine. Call it after a
// successful decryption and discard the plaintext on error.
func (g *ReplayGuard) Check(sessionID string, index uint32, eventID string) error {
	if sessionID == "" || eventID == "" {
		return errcode.New(errcode.BadInput, "replay check needs a session id and an event id")
	}
	if !utf8.ValidString(sessionID) || !utf8.ValidString(eventID) {
		// JSON (Export) could not keep them exactly.
		return errcode.New(errcode.BadInput, "replay check: session id and event id must be valid UTF-8")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	byIndex := g.seen[sessionID]
	if prev, ok := byIndex[index]; ok {
		if prev != eventID {
			return errcode.New(errcode.ReplayedMessage, "message index %d of session %s was already used by event %s, now again by %s: possible replay attack", index, sessionID, prev, eventID)
		}
		return nil
	}
	if byIndex == nil {
		byIndex = map[uint32]string{}
		g.seen[sessionID] = byIndex
	}
	byIndex[index] = eventID
	return nil
}

// forget drops everything recorded for a session (tests only: nothing deletes
// a session's replay record yet).
func (g *ReplayGuard) forget(sessionID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.seen, sessionID)
}

// Entries returns a copy of what is recorded for a session: index → event id.
func (g *ReplayGuard) Entries(sessionID string) map[uint32]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[uint32]string, len(g.seen[sessionID]))
	for i, ev := range g.seen[sessionID] {
		out[i] = ev
	}
	return out
}

// Len is the number of recorded (session, index) pairs.
func (g *ReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, m := range g.seen {
		n += len(m)
	}
	return n
}

// replayVersion is the version of the Export format.
const replayVersion = 1

// Export serialises the guard as JSON:
// {"version":1,"sessions":{"<session id>":{"<index>":"<event id>",…},…}}.
// Map keys are sorted, so equal guards export equal bytes.
func (g *ReplayGuard) Export() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	sessions := make(map[string]any, len(g.seen))
	for sid, byIndex := range g.seen {
		m := make(map[string]any, len(byIndex))
		for i, ev := range byIndex {
			m[strconv.FormatUint(uint64(i), 10)] = ev
		}
		sessions[sid] = m
	}
	// Strings, maps and a small integer only: cannot fail.
	b, _ := canonicaljson.Encode(map[string]any{"version": replayVersion, "sessions": sessions})
	return b
}

// ImportReplayGuard reads what Export wrote. Anything else is BadInput.
func ImportReplayGuard(data []byte) (*ReplayGuard, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "replay guard data is not the expected JSON")
	}
	top, err := jsonvalue.AsObject(v, "replay guard data")
	if err != nil {
		return nil, err
	}
	if version := top.Int("version"); top.Err() == nil && version != replayVersion {
		return nil, errcode.New(errcode.BadInput, "replay guard data version %d is not supported (expected %d)", version, replayVersion)
	}
	g := NewReplayGuard()
	sessions, present := top.OptObject("sessions")
	if err := top.Err(); err != nil {
		return nil, err
	}
	if !present {
		return g, nil
	}
	for _, sid := range sessions.Keys() {
		if sid == "" {
			return nil, errcode.New(errcode.BadInput, "replay guard data has an empty session id")
		}
		byIndex := sessions.Object(sid)
		if err := top.Err(); err != nil {
			return nil, err
		}
		m := make(map[uint32]string, len(byIndex.Keys()))
		for _, is := range byIndex.Keys() {
			i, err := strconv.ParseUint(is, 10, 32)
			if err != nil || strconv.FormatUint(i, 10) != is {
				return nil, errcode.New(errcode.BadInput, "replay guard data: %q is not a message index", is)
			}
			ev := byIndex.String(is)
			if err := top.Err(); err != nil {
				return nil, err
			}
			if ev == "" {
				return nil, errcode.New(errcode.BadInput, "replay guard data: empty event id at index %d of session %s", i, sid)
			}
			m[uint32(i)] = ev
		}
		if len(m) > 0 {
			g.seen[sid] = m
		}
	}
	return g, nil
}
