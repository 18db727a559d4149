package device

import (
	"bytes"
	"sync"

	"github.com/mxcrypto/mxcrypto/store"
)

// A decoded inbound session remembers the furthest ratchet a decryption
// reached (megolm's latest cache), so the next message costs one hash,
// where a session decoded afresh from the store starts from its first
// known index and pays up to 255 hashes per ratchet part: decryption cost
// would grow with the messages a session has seen. Sessions decoded for
// room events are kept here, each with the stored state it was decoded
// from; a stored state that changed (a better key imported, by this
// instance or another) is decoded again. What is kept is no more than the
// store's own segment cache holds in clear, and Close drops it.
const ratchetCacheSize = 256

type ratchetCache struct {
	mu    sync.Mutex
	m     map[string]*cachedInbound
	order []string // insertion order, oldest first, for eviction
}

type cachedInbound struct {
	state []byte // the stored state in was decoded from
	in    *inbound
}

// inboundFor decodes ss, or returns the session decoded from the same
// stored state before.
func (c *ratchetCache) inboundFor(ss store.InboundSession) (*inbound, error) {
	id := ss.RoomID + "\x00" + ss.SessionID
	c.mu.Lock()
	e := c.m[id]
	c.mu.Unlock()
	if e != nil && bytes.Equal(e.state, ss.State) {
		return e.in, nil
	}
	in, err := decodeInbound(ss)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cachedInbound{}
	}
	if _, ok := c.m[id]; !ok {
		c.order = append(c.order, id)
		for len(c.order) > ratchetCacheSize {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.m[id] = &cachedInbound{state: ss.State, in: in}
	return in, nil
}

// drop forgets every session.
func (c *ratchetCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.order = nil, nil
}
