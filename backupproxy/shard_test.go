package backupproxy

import (
	"fmt"
	"testing"
)

func TestShardIndexStableAndSpread(t *testing.T) {
	names := []string{"DB0", "DB1"}
	counts := make([]int, 2)
	for i := 0; i < 2000; i++ {
		u := fmt.Sprintf("@user%d:example.org", i)
		a := ShardIndex(u, names)
		if ShardIndex(u, names) != a {
			t.Fatal("not stable")
		}
		counts[a]++
	}
	for _, c := range counts {
		if c < 850 || c > 1150 {
			t.Fatalf("uneven spread over two databases: %v", counts)
		}
	}
	// Adding a third database moves only users to it, about a third of them.
	three := []string{"DB0", "DB1", "DB2"}
	moved := 0
	for i := 0; i < 3000; i++ {
		u := fmt.Sprintf("@user%d:example.org", i)
		before, after := ShardIndex(u, names), ShardIndex(u, three)
		if before != after {
			if after != 2 {
				t.Fatalf("%s moved between old databases: %d → %d", u, before, after)
			}
			moved++
		}
	}
	if moved < 800 || moved > 1200 {
		t.Fatalf("%d of 3000 users moved; want about 1000", moved)
	}
	if ShardIndex("@a:hs", []string{"only"}) != 0 {
		t.Fatal("one database")
	}
}
