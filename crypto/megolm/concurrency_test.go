package megolm

import (
	"sync"
	"testing"
)

// Sessions and the replay guard are shared between goroutines by the JS
// bridge (each call runs on its own goroutine); run with -race.
func TestConcurrentUse(t *testing.T) {
	out, in := newPair(t)
	g := NewReplayGuard()
	var wg sync.WaitGroup
	msgs := make(chan string, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				m, err := out.Encrypt([]byte("x"))
				if err != nil {
					t.Error(err)
					return
				}
				msgs <- m
			}
		}()
	}
	wg.Wait()
	close(msgs)
	var dec sync.WaitGroup
	for m := range msgs {
		dec.Add(1)
		go func() {
			defer dec.Done()
			_, idx, err := in.Decrypt(m)
			if err != nil {
				t.Error(err)
				return
			}
			if err := g.Check(in.SessionID(), idx, m); err != nil {
				t.Error(err)
			}
			_, _ = in.Export(in.FirstKnownIndex())
			_, _, _ = KeepBetter(in, in)
		}()
	}
	dec.Wait()
	if out.MessageIndex() != 32 || g.Len() != 32 {
		t.Fatalf("index %d, recorded %d", out.MessageIndex(), g.Len())
	}
}
