package store

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"
)

// BenchmarkInbound follows the benchmark: persist n inbound
// sessions in bulk, reopen and count, look one up, and persist single new
// sessions (p50). Run with -bench Inbound -benchtime 1x.
func BenchmarkInbound(b *testing.B) {
	for _, be := range backends {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprint(be.name, "/", n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					benchInbound(b, be.new(b), n)
				}
			})
		}
	}
}

func benchInbound(b *testing.B, fsys hackpadfs.FS, n int) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	sessions := bulkSessions(n, true)
	s := mustOpen(b, fsys, "bench")
	must(b, s.SetBackupVersion("1"))
	start := time.Now()
	must(b, s.PutInbound(sessions...))
	b.ReportMetric(ms(time.Since(start)), "bulk-ms")
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	b.ReportMetric(float64(mem.Sys>>20), "sys-MiB") // under wasm: the linear memory, its peak
	s.Close()
	sessions = sessions[:21]
	runtime.GC() // as after a reload: the bulk's garbage is not the next step's cost

	start = time.Now()
	s = mustOpen(b, fsys, "bench")
	opened := time.Now()
	c, err := s.InboundCounts("1")
	must(b, err)
	b.ReportMetric(ms(time.Since(opened)), "count-ms")
	b.ReportMetric(ms(time.Since(start)), "open+count-ms")
	if c.Total != uint64(n) {
		b.Fatalf("count %d", c.Total)
	}
	probe := bulkSessions(n/3+1, true)[n/3]
	runtime.GC()
	start = time.Now()
	_, found, err := s.GetInbound(probe.RoomID, probe.SessionID)
	must(b, err)
	b.ReportMetric(ms(time.Since(start)), "lookup-ms")
	if !found {
		b.Fatal("not found")
	}
	// A second lookup in another segment: also read from disk, but not the
	// first read of this page (Chromium sets up its blob reading then).
	probe = bulkSessions(n/2+1, true)[n/2]
	start = time.Now()
	_, found, err = s.GetInbound(probe.RoomID, probe.SessionID)
	must(b, err)
	b.ReportMetric(ms(time.Since(start)), "lookup2-ms")
	if !found {
		b.Fatal("not found")
	}
	var writes []time.Duration
	for i := 0; i < 21; i++ {
		start = time.Now()
		must(b, s.PutInbound(InboundSession{RoomID: "!new:x", SessionID: fmt.Sprint(i), State: sessions[i].State}))
		writes = append(writes, time.Since(start))
	}
	slices.Sort(writes)
	b.ReportMetric(ms(writes[len(writes)/2]), "write-p50-ms")
	s.Close()
}
