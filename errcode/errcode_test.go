package errcode_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestOf(t *testing.T) {
	if errcode.Of(errcode.New(errcode.BadMAC, "x %d", 1)) != errcode.BadMAC {
		t.Error("New")
	}
	if errcode.Of(fmt.Errorf("outer: %w", errcode.New(errcode.WrongKey, "inner"))) != errcode.WrongKey {
		t.Error("wrapped by fmt.Errorf")
	}
	if errcode.Of(io.EOF) != errcode.Internal || errcode.Of(nil) != errcode.Internal {
		t.Error("uncoded errors are INTERNAL")
	}
}

func TestWrapAndContext(t *testing.T) {
	e := errcode.Wrap(errcode.BadInput, io.ErrUnexpectedEOF, "reading %s", "key")
	if e.Error() != "reading key: unexpected EOF" || !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("Wrap: %q", e)
	}
	c := errcode.Context(e, "field")
	if errcode.Of(c) != errcode.BadInput || c.Error() != "field: reading key: unexpected EOF" || !errors.Is(c, io.ErrUnexpectedEOF) {
		t.Errorf("Context: %q", c)
	}
	if errcode.Context(nil, "x") != nil {
		t.Error("Context(nil) is not nil")
	}
	p := errcode.Context(io.EOF, "x")
	if p.Error() != "x: EOF" || !errors.Is(p, io.EOF) || errcode.Of(p) != errcode.Internal {
		t.Errorf("Context of an uncoded error: %q", p)
	}
}
