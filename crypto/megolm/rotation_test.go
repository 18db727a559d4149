package megolm

import (
	"testing"
	"time"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestNeedsRotation(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	def := RotationPolicy{}
	cases := []struct {
		name  string
		p     RotationPolicy
		count uint64
		age   time.Duration
		want  bool
	}{
		{"fresh", def, 0, 0, false},
		{"99 messages", def, 99, 0, false},
		{"100 messages", def, 100, 0, true},
		{"almost a week", def, 5, DefaultRotationPeriod - time.Millisecond, false},
		{"a week", def, 5, DefaultRotationPeriod, true},
		{"room says 10 messages", RotationPolicy{PeriodMsgs: 10}, 10, 0, true},
		{"room says 10 messages, 9 sent", RotationPolicy{PeriodMsgs: 10}, 9, 0, false},
		{"room says a million messages: capped", RotationPolicy{PeriodMsgs: 1_000_000}, 10_000, 0, true},
		{"room says 1 minute: at least an hour", RotationPolicy{PeriodMs: 60_000}, 0, 30 * time.Minute, false},
		{"room says 1 minute, an hour passed", RotationPolicy{PeriodMs: 60_000}, 0, time.Hour, true},
		{"room says 2 hours", RotationPolicy{PeriodMs: 7_200_000}, 0, 3 * time.Hour, true},
		{"huge period", RotationPolicy{PeriodMs: 1<<64 - 1}, 0, 50 * 365 * 24 * time.Hour, false},
		{"clock before creation", def, 0, -time.Minute, true},
	}
	for _, c := range cases {
		if got := NeedsRotation(c.p, t0, c.count, t0.Add(c.age)); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
	if !NeedsRotation(def, time.Time{}, 0, t0) {
		t.Error("unknown creation time does not rotate")
	}

	out := NewOutboundGroupSession()
	now := time.Now()
	if out.NeedsRotation(def, now) || !out.NeedsRotation(def, now.Add(8*24*time.Hour)) {
		t.Error("new session")
	}
	out.SetCreatedAt(t0)
	if !out.CreatedAt().Equal(t0) || out.NeedsRotation(RotationPolicy{PeriodMsgs: 1}, t0) {
		t.Error("SetCreatedAt")
	}
	encryptN(t, out, 1)
	if !out.NeedsRotation(RotationPolicy{PeriodMsgs: 1}, t0) {
		t.Error("one message with rotation_period_msgs 1")
	}
	out.SetCreatedAt(time.Time{})
	if !out.CreatedAt().IsZero() {
		t.Error("SetCreatedAt(zero)")
	}
}

func TestRotationPolicyFromContent(t *testing.T) {
	p, err := RotationPolicyFromContent([]byte(`{"algorithm":"m.megolm.v1.aes-sha2","rotation_period_ms":3600000,"rotation_period_msgs":50}`))
	if err != nil || p != (RotationPolicy{PeriodMs: 3600000, PeriodMsgs: 50}) {
		t.Fatalf("%+v %v", p, err)
	}
	p, err = RotationPolicyFromContent([]byte(`{"algorithm":"m.megolm.v1.aes-sha2","rotation_period_ms":null}`))
	if err != nil || p != (RotationPolicy{}) {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{``, `[]`, `null`, `{"rotation_period_ms":-1}`, `{"rotation_period_msgs":1.5}`, `{"rotation_period_msgs":"100"}`, `{"rotation_period_ms":1e400}`} {
		_, err := RotationPolicyFromContent([]byte(bad))
		wantCode(t, bad, err, errcode.BadInput)
	}
}
