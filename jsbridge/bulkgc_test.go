//go:build !mxcrypto_core

package jsbridge

import (
	"runtime/debug"
	"testing"
)

func TestBulkGCRestoresTheTarget(t *testing.T) {
	old := debug.SetGCPercent(123)
	defer debug.SetGCPercent(old)
	inner := 0
	v, err := withBulkGC(func() (int, error) {
		return withBulkGC(func() (int, error) {
			inner = debug.SetGCPercent(-1) // read it, then put it back
			debug.SetGCPercent(inner)
			return 7, nil
		})
	})
	if v != 7 || err != nil || inner != bulkGCPercent {
		t.Fatalf("got %d %v; target inside %d", v, err, inner)
	}
	if now := debug.SetGCPercent(123); now != 123 {
		t.Fatalf("target after: %d, want 123", now)
	}
}
