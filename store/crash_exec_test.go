//go:build !js

package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestCrashChild is the child of TestCrashByExit: it runs the flow over
// real files and exits the process at step MXSTORE_CRASH_AT, printing each
// returned body as it goes.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("MXSTORE_CRASH_DIR")
	if dir == "" {
		return // run by TestCrashByExit only
	}
	at, _ := strconv.Atoi(os.Getenv("MXSTORE_CRASH_AT"))
	ff := newFaultFS(mustOSFS(t, dir))
	ff.noSync = true // the kernel keeps a killed process's writes
	ff.onStep = func(n int, op, name string) {
		if n == at {
			os.Exit(3)
		}
	}
	smallJournal(t, 12)
	var res flowResult
	err := otkFlow(ff, 4, 0, &res, func(round int, ids []uint32) {
		if ids == nil {
			fmt.Println("sessions", round)
		} else {
			fmt.Println("returned", strings.Trim(fmt.Sprint(ids), "[]"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

// TestCrashByExit kills a real process (os.Exit, no deferred cleanup) just
// before each filesystem step of the flow, then reopens the files it left.
func TestCrashByExit(t *testing.T) {
	if os.Getenv("MXSTORE_CRASH_DIR") != "" {
		return
	}
	for k := 1; ; k++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MXSTORE_CRASH_DIR="+dir, "MXSTORE_CRASH_AT="+strconv.Itoa(k))
		out, err := cmd.Output()
		var res flowResult
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 0 && f[0] == "returned" {
				for _, s := range f[1:] {
					id, _ := strconv.Atoi(s)
					res.returned = append(res.returned, uint32(id))
				}
			}
			if len(f) == 2 && f[0] == "sessions" {
				round, _ := strconv.Atoi(f[1])
				res.sessions = append(res.sessions, roundSessions(round)...)
			}
			if len(f) > 0 && f[0] == "done" {
				res.done = true
			}
		}
		var exit *exec.ExitError
		if res.done {
			if err != nil {
				t.Fatalf("child finished but failed: %v\n%s", err, out)
			}
			t.Logf("killed the process at each of %d steps", k-1)
			return
		}
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("step %d: child: %v\n%s", k, err, out)
		}
		checkAfterCrash(t, mustOSFS(t, dir), &res, fmt.Sprintf("exit at step %d", k))
	}
}
