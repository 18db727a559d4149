package hmacsha256

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestBlockIsGenerated runs gen_block.go into a temporary file and compares it
// with the committed block.go, so an edit to either one alone fails here
// (run `go generate ./crypto/internal/hmacsha256` after changing the generator).
func TestBlockIsGenerated(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs the go command; runs in the native test pass")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "block.go")
	cmd := exec.Command(goCmd, "run", "gen_block.go", "-o", out)
	cmd.Env = append(os.Environ(), "GOOS=", "GOARCH=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_block.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("block.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("block.go is stale: run `go generate ./crypto/internal/hmacsha256`")
	}
}
