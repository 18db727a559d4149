package store

import "encoding/binary"

// Kind is the kind of a record. Values are part of the on-disk format.
type Kind uint8

const (
	KindAccount     Kind = 1 // the Olm account (one record)
	KindOlmSession  Kind = 2 // Olm sessions by peer Curve25519 key and session id
	KindInbound     Kind = 3 // inbound Megolm sessions by room id and session id
	KindOutbound    Kind = 4 // outbound Megolm sessions by room id
	KindFallbackKey Kind = 5 // fallback-key history by key id
	KindBackup      Kind = 6 // key backup state (one record)
	KindSecret      Kind = 7 // secrets by name
	KindValue       Kind = 8 // other small values by name

	// kindPending indexes the inbound sessions not yet in the active
	// backup, so finding them costs O(pending).
	kindPending Kind = 9

	// The device layer's own records (package device).
	KindDevice        Kind = 10 // known devices by user id and device id
	KindDeviceByCurve Kind = 11 // known devices by Curve25519 key
	KindReplay        Kind = 12 // Megolm replay records by session id and bucket
	KindSecretRequest Kind = 13 // outgoing secret requests by request id

	numKinds = 14
)

// kindInfo says which key parts a kind uses and how its records spread
// over segment files.
type kindInfo struct {
	name   string
	hasA   bool // A must be non-empty (else empty)
	hasB   bool
	byA    bool // route by A alone, so listing one A reads one segment
	target int  // records per segment file before the kind is split further
}

var kinds = [numKinds]kindInfo{
	KindAccount:    {name: "account", target: 1},
	KindOlmSession: {name: "olm session", hasA: true, hasB: true, byA: true, target: 512},
	// 128 sessions make a segment of about 40 KiB: Chromium's IndexedDB
	// stores values above 64 KiB as blobs, and the first blob read of a
	// page costs ~3 ms more. 100,000 sessions are then 1,024 segments.
	KindInbound:     {name: "inbound group session", hasA: true, hasB: true, target: 128},
	KindOutbound:    {name: "outbound group session", hasA: true, byA: true, target: 512},
	KindFallbackKey: {name: "fallback key", hasA: true, target: 1024},
	KindBackup:      {name: "backup state", target: 1},
	KindSecret:      {name: "secret", hasA: true, target: 256},
	KindValue:       {name: "value", hasA: true, target: 1024},
	kindPending:     {name: "pending backup", hasA: true, hasB: true, target: 8192},
	// A user's devices route together: a keys-query answer rewrites them.
	KindDevice:        {name: "device", hasA: true, hasB: true, byA: true, target: 512},
	KindDeviceByCurve: {name: "device by key", hasA: true, target: 1024},
	KindReplay:        {name: "replay record", hasA: true, hasB: true, target: 1024},
	KindSecretRequest: {name: "secret request", hasA: true, target: 256},
}

func (k Kind) valid() bool { return k >= 1 && k < numKinds }

func (k Kind) String() string {
	if !k.valid() {
		return "unknown kind"
	}
	return kinds[k].name
}

// Key addresses one record: its kind and up to two ids.
type Key struct {
	Kind Kind
	A, B string
}

// AccountKey is the key of the Olm account.
func AccountKey() Key { return Key{Kind: KindAccount} }

// OlmSessionKey is the key of an Olm session with the peer whose Curve25519
// identity key is peerKey.
func OlmSessionKey(peerKey, sessionID string) Key {
	return Key{Kind: KindOlmSession, A: peerKey, B: sessionID}
}

// InboundKey is the key of an inbound Megolm session.
func InboundKey(roomID, sessionID string) Key {
	return Key{Kind: KindInbound, A: roomID, B: sessionID}
}

// OutboundKey is the key of a room's outbound Megolm session.
func OutboundKey(roomID string) Key { return Key{Kind: KindOutbound, A: roomID} }

// FallbackKeyKey is the key of one entry of the fallback-key history.
func FallbackKeyKey(keyID string) Key { return Key{Kind: KindFallbackKey, A: keyID} }

// BackupKey is the key of the key backup state.
func BackupKey() Key { return Key{Kind: KindBackup} }

// SecretKey is the key of a secret such as "m.megolm_backup.v1".
func SecretKey(name string) Key { return Key{Kind: KindSecret, A: name} }

// ValueKey is the key of a small value kept for the caller.
func ValueKey(name string) Key { return Key{Kind: KindValue, A: name} }

// DeviceKey is the key of a known device.
func DeviceKey(userID, deviceID string) Key { return Key{Kind: KindDevice, A: userID, B: deviceID} }

// DeviceByCurveKey is the key of a known device by its Curve25519 key.
func DeviceByCurveKey(curve25519 string) Key { return Key{Kind: KindDeviceByCurve, A: curve25519} }

// ReplayKey is the key of one bucket of a Megolm session's replay record.
func ReplayKey(sessionID, bucket string) Key { return Key{Kind: KindReplay, A: sessionID, B: bucket} }

// SecretRequestKey is the key of an outgoing secret request.
func SecretRequestKey(requestID string) Key { return Key{Kind: KindSecretRequest, A: requestID} }

const (
	maxKeyPart = 1024     // Matrix ids are at most 255 bytes
	maxValue   = 64 << 20 // one record; bounds what a decoder allocates
)

// check rejects keys a caller may not use (including the internal kind).
func (k Key) check() error {
	if !k.Kind.valid() || k.Kind == kindPending {
		return badInput("unknown record kind %d", k.Kind)
	}
	return k.checkParts()
}

func (k Key) checkParts() error {
	info := kinds[k.Kind]
	for _, p := range [2]struct {
		v    string
		need bool
		name string
	}{{k.A, info.hasA, "first id"}, {k.B, info.hasB, "second id"}} {
		switch {
		case p.need && p.v == "":
			return badInput("%s key: %s is empty", info.name, p.name)
		case !p.need && p.v != "":
			return badInput("%s key has no %s", info.name, p.name)
		case len(p.v) > maxKeyPart:
			return badInput("%s key: %s is %d bytes, over %d", info.name, p.name, len(p.v), maxKeyPart)
		}
	}
	return nil
}

// enc is the key as a map key and sort key.
func (k Key) enc() string {
	b := make([]byte, 0, 2+len(k.A)+len(k.B))
	b = append(b, byte(k.Kind))
	b = binary.AppendUvarint(b, uint64(len(k.A)))
	b = append(append(b, k.A...), k.B...)
	return string(b)
}

// hash routes a record: its low bits pick the segment, bits 32+ the chunk
// inside it. FNV-1a, fixed by the format.
func (k Key) hash() uint64 {
	h := uint64(14695981039346656037)
	add := func(c byte) { h = (h ^ uint64(c)) * 1099511628211 }
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			add(s[i])
		}
	}
	add(byte(k.Kind))
	mix(k.A)
	if !kinds[k.Kind].byA {
		add(0)
		mix(k.B)
	}
	return h
}

func shardOf(h uint64, n int) int { return int(h & uint64(n-1)) }
func chunkOf(h uint64, n int) int { return int((h >> 32) & uint64(n-1)) }

// pendingKey is the index entry of an inbound session.
func pendingKey(k Key) Key { return Key{Kind: kindPending, A: k.A, B: k.B} }

func inboundOf(k Key) Key { return Key{Kind: KindInbound, A: k.A, B: k.B} }
