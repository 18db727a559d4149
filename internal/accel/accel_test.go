package accel

import (
	"sync"
	"testing"
)

type fakeHost struct{ Host }

func TestUseCheckedRunsTheCheckOnFirstUseOnly(t *testing.T) {
	defer Use(nil)
	h := fakeHost{}
	runs := 0
	UseChecked(h, func() bool {
		runs++
		if Current() != nil {
			t.Error("the check's own calls got the host it is checking")
		}
		return true
	})
	if runs != 0 {
		t.Fatal("UseChecked ran the check at once")
	}
	for i := 0; i < 3; i++ {
		if Current() != h {
			t.Fatal("a host that passed its check is not in use")
		}
	}
	if runs != 1 {
		t.Fatalf("check ran %d times, want 1", runs)
	}
}

func TestUseCheckedNeverUsesAHostThatFails(t *testing.T) {
	defer Use(nil)
	for _, check := range []func() bool{
		func() bool { return false },
		func() bool { panic("host broke") },
	} {
		runs := 0
		UseChecked(fakeHost{}, func() bool { runs++; return check() })
		for i := 0; i < 3; i++ {
			if Current() != nil {
				t.Fatal("a host that failed its check is in use")
			}
		}
		if runs != 1 {
			t.Fatalf("check ran %d times, want 1", runs)
		}
	}
}

func TestUseCheckedConcurrentCallersSeeTheHostOnlyAfterItsCheck(t *testing.T) {
	defer Use(nil)
	var mu sync.Mutex
	passed := false
	UseChecked(fakeHost{}, func() bool {
		mu.Lock()
		defer mu.Unlock()
		passed = true
		return true
	})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if Current() != nil {
				mu.Lock()
				ok := passed
				mu.Unlock()
				if !ok {
					t.Error("host used before its check passed")
				}
			}
		}()
	}
	wg.Wait()
	if Current() == nil {
		t.Fatal("host not in use after its check passed")
	}
}

func TestUseReplacesAPendingHost(t *testing.T) {
	defer Use(nil)
	UseChecked(fakeHost{}, func() bool { t.Error("check of a replaced host ran"); return true })
	Use(nil)
	if Current() != nil {
		t.Fatal("Use(nil) left a pending host")
	}
}
