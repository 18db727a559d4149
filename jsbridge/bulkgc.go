//go:build !mxcrypto_core

package jsbridge

import (
	"runtime/debug"
	"sync"
)

// bulkGCPercent is the collector's target while a restore is committed. A
// wasm instance's memory never shrinks, so a commit's heap peak (with the
// default target, up to twice its live data) stays for the page's life;
// at 50 the peak of a 100,000-key restore is lower, for no time we could
// measure.
const bulkGCPercent = 50

var bulkGC struct {
	sync.Mutex
	n   int
	old int
}

// withBulkGC runs fn with the lower target (nested and concurrent calls
// share it; the old one is back when the last returns).
func withBulkGC[T any](fn func() (T, error)) (T, error) {
	bulkGC.Lock()
	if bulkGC.n == 0 {
		bulkGC.old = debug.SetGCPercent(bulkGCPercent)
	}
	bulkGC.n++
	bulkGC.Unlock()
	defer func() {
		bulkGC.Lock()
		if bulkGC.n--; bulkGC.n == 0 {
			debug.SetGCPercent(bulkGC.old)
		}
		bulkGC.Unlock()
	}()
	return fn()
}
