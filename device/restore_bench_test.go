package device

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
)

// BenchmarkRestoreAdd is the Go side of a restore whose keys were decrypted
// in JS: parsing and checking each entry's session data, then the commit.
func BenchmarkRestoreAdd(b *testing.B) {
	const n = 2000
	type entry struct {
		room, id string
		data     []byte
	}
	entries := make([]entry, n)
	for i := range entries {
		out := megolm.NewOutboundGroupSession()
		key, err := out.InboundSession().Export(0)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := json.Marshal(map[string]any{
			"algorithm":                       megolm.Algorithm,
			"sender_key":                      "cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00",
			"sender_claimed_keys":             map[string]string{"ed25519": "8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY"},
			"session_key":                     key,
			"forwarding_curve25519_key_chain": []string{},
		})
		entries[i] = entry{fmt.Sprintf("!room%d:example.org", i%50), out.SessionID(), data}
	}
	c := newClock()
	nb, err := newDevice(b, "@bench:example.org", "KEYS", c).CreateBackupVersion()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := newDevice(b, "@bench:example.org", fmt.Sprint("BENCH", i), c)
		if err := d.EnableBackup("v", nb.PublicKey); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r, err := d.BeginRestore(nb.PrivateKey)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			r.add(e.room, e.id, e.data)
		}
		if _, err := r.Commit(nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/key")
}
