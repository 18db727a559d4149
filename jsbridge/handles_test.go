//go:build js && wasm

package jsbridge

import "testing"

func TestHandlesAreRandomAndTyped(t *testing.T) {
	type a struct{ n int }
	type b struct{ n int }
	first := register(&a{1})
	second := register(&b{2})
	defer forget(first, second)
	if first == second || first <= 0 || second <= 0 || first >= 1<<53 || second >= 1<<53 {
		t.Fatalf("handles %d and %d: want distinct, positive, exact in a JS number", first, second)
	}
	if first+1 == second {
		t.Fatalf("handles %d and %d are counted, not random", first, second)
	}
	if v, ok := lookup[*a](first); !ok || v.n != 1 {
		t.Fatalf("lookup of a registered *a failed")
	}
	// A handle names one object of one type: never another kind of object.
	if _, ok := lookup[*b](first); ok {
		t.Fatalf("a *a handle was found as a *b")
	}
	if _, ok := lookup[*a](first + 1); ok && first+1 != second {
		t.Fatalf("an unregistered handle named an object")
	}
	if v, ok := take[*b](second); !ok || v.n != 2 {
		t.Fatalf("take of a registered *b failed")
	}
	if _, ok := lookup[*b](second); ok {
		t.Fatalf("a taken handle is still there")
	}
	forget(first)
	if _, ok := lookup[*a](first); ok {
		t.Fatalf("a forgotten handle is still there")
	}
}
