//go:build js && wasm && mxcrypto_debug

package jsbridge

import (
	"os"
	"syscall/js"
	"time"
)

// withDebug adds _debug, which lets tests prove the failure handling: a
// panic must become a rejected Promise, and an exit must be survived by the
// loader. Only the test build (-tags mxcrypto_debug, dist/mxcrypto-test.wasm)
// has it: a page must not be able to stop its own crypto module.
func withDebug(m map[string]any) map[string]any {
	m["_debug"] = debugAPI()
	return m
}

func debugAPI() js.Value {
	return object(map[string]any{
		"panic": Async("_debug.panic", func(a *Args) Work {
			return func() (any, error) { panic("forced panic for testing") }
		}),
		"exit": Async("_debug.exit", func(a *Args) Work {
			code := a.OptInt(0, "code", 3)
			return func() (any, error) {
				os.Exit(code)
				return nil, nil
			}
		}),
		"machineDirectCalls": Async("_debug.machineDirectCalls", func(a *Args) Work {
			return func() (any, error) { return machineDirectCalls, nil }
		}),
		"sleep": Async("_debug.sleep", func(a *Args) Work {
			ms := a.Int(0, "ms")
			return func() (any, error) {
				time.Sleep(time.Duration(ms) * time.Millisecond)
				return ms, nil
			}
		}),
	})
}
