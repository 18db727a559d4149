package megolm

import (
	"strconv"
	"time"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Rotation defaults recommended by the spec for m.room.encryption.
const (
	DefaultRotationPeriodMsgs = 100
	DefaultRotationPeriod     = 7 * 24 * time.Hour // 604800000 ms
)

// Bounds applied to the room's settings, which any room member can set: a
// session is always good for at least one message and one hour (so a
// careless or hostile state event cannot force a new key share per message)
// and never for more than 10,000 messages (matrix-rust-sdk uses the same).
const (
	maxRotationPeriodMsgs = 10_000
	minRotationPeriod     = time.Hour
)

// RotationPolicy is the rotation settings of a room, from its
// m.room.encryption state event. Zero fields mean "not set": the defaults
// apply.
type RotationPolicy struct {
	PeriodMs   uint64 // rotation_period_ms
	PeriodMsgs uint64 // rotation_period_msgs
}

// RotationPolicyFromContent reads rotation_period_ms and rotation_period_msgs
// from the content of an m.room.encryption event. Absent (or null) fields
// take the defaults; a value that is not a non-negative integer is BadInput
// (callers may then fall back to the zero RotationPolicy, i.e. the defaults).
func RotationPolicyFromContent(content []byte) (RotationPolicy, error) {
	raw, err := jsonvalue.ParseObject(content)
	if err != nil {
		return RotationPolicy{}, errcode.New(errcode.BadInput, "m.room.encryption content is not a JSON object")
	}
	var p RotationPolicy
	for name, dst := range map[string]*uint64{"rotation_period_ms": &p.PeriodMs, "rotation_period_msgs": &p.PeriodMsgs} {
		v, ok := raw[name]
		if !ok || v == nil {
			continue
		}
		n, isNum := v.(jsonvalue.Number)
		u, err := strconv.ParseUint(string(n), 10, 64)
		if !isNum || err != nil {
			return RotationPolicy{}, errcode.New(errcode.BadInput, "m.room.encryption: %s must be a non-negative integer", name)
		}
		*dst = u
	}
	return p, nil
}

// effective returns the bounded message count and period.
func (p RotationPolicy) effective() (msgs uint64, period time.Duration) {
	msgs = p.PeriodMsgs
	if msgs == 0 {
		msgs = DefaultRotationPeriodMsgs
	}
	msgs = min(msgs, maxRotationPeriodMsgs)
	period = DefaultRotationPeriod
	if p.PeriodMs != 0 {
		// Cap before converting so huge values cannot overflow Duration.
		period = time.Duration(min(p.PeriodMs, uint64(100*365*24*time.Hour/time.Millisecond))) * time.Millisecond
	}
	return msgs, max(period, minRotationPeriod)
}

// NeedsRotation reports whether an outbound session created at createdAt that
// has encrypted messageCount messages must be replaced at time now: when it
// has sent the policy's number of messages, or is at least its period old. An
// unknown (zero) creation time, or a clock that reads earlier than the
// creation time, counts as expired: rotating is the safe answer.
func NeedsRotation(p RotationPolicy, createdAt time.Time, messageCount uint64, now time.Time) bool {
	msgs, period := p.effective()
	if messageCount >= msgs {
		return true
	}
	if createdAt.IsZero() || now.Before(createdAt) {
		return true
	}
	return now.Sub(createdAt) >= period
}

// NeedsRotation applies the package-level NeedsRotation to this session, with
// its creation time and message index as the message count. Membership
// changes and history-visibility changes also require rotation; those are the
// caller's to notice.
func (s *OutboundGroupSession) NeedsRotation(p RotationPolicy, now time.Time) bool {
	s.mu.Lock()
	created, count := s.createdAt, uint64(s.ratchet.counter)
	s.mu.Unlock()
	return NeedsRotation(p, created, count, now)
}

// truncate shortens a JSON fragment for an error message.
func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
