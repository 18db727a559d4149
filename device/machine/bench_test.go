package machine

import (
	"fmt"
	"testing"
)

// BenchmarkShareRoomKey gives a new room key to 100 devices that already
// have Olm sessions (the messages and who-has-it record in one commit).
func BenchmarkShareRoomKey(b *testing.B) {
	srv := newRelay(b)
	clk := newTestClock()
	a := newClient(b, srv, "@alice:example.org", "A1", clk.now)
	users := []string{"@alice:example.org"}
	for i := 0; i < 10; i++ {
		u := fmt.Sprintf("@u%d:example.org", i)
		users = append(users, u)
		for j := 0; j < 10; j++ {
			newClient(b, srv, u, fmt.Sprintf("D%d", j), clk.now)
		}
	}
	a.sync()
	a.share("!setup:example.org", users, ShareSettings{}) // queries and claims
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.share(fmt.Sprintf("!r%d:example.org", i), users, ShareSettings{})
	}
}
