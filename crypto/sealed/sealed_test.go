package sealed

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
	"golang.org/x/crypto/chacha20poly1305"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	msg := []byte("state")
	s1, err := Seal(key, "olm.account", msg)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := Seal(key, "olm.account", msg)
	if bytes.Equal(s1, s2) {
		t.Fatal("two seals of the same value must differ (random nonce)")
	}
	got, err := Open(key, "olm.account", s1)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatal(got, err)
	}
	wrong := bytes.Repeat([]byte{8}, KeySize)
	if _, err := Open(wrong, "olm.account", s1); errcode.Of(err) != errcode.WrongKey {
		t.Fatal("wrong key:", err)
	}
	if _, err := Open(key, "olm.session", s1); errcode.Of(err) != errcode.WrongKey {
		t.Fatal("wrong label:", err)
	}
	if _, err := Open(key, "olm.account", s1[:10]); errcode.Of(err) != errcode.BadPickle {
		t.Fatal("truncated:", err)
	}
	bad := append([]byte{}, s1...)
	bad[2] = 9
	if _, err := Open(key, "olm.account", bad); errcode.Of(err) != errcode.BadPickle {
		t.Fatal("version:", err)
	}
	if _, err := Seal(key[:5], "x", msg); errcode.Of(err) != errcode.BadInput {
		t.Fatal("short key:", err)
	}
}

// AppendSeal keeps what dst held and seals each value where Open finds it.
func TestAppendSeal(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	texts := [][]byte{[]byte("first"), {}, bytes.Repeat([]byte("x"), 1000)}
	buf := make([]byte, 0, 64) // too small: AppendSeal grows it
	buf = append(buf, "prefix"...)
	var ends []int
	for i, pt := range texts {
		var err error
		if buf, err = AppendSeal(buf, key, fmt.Sprint("label ", i), pt); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, len(buf))
	}
	if string(buf[:6]) != "prefix" {
		t.Fatalf("prefix lost: %q", buf[:6])
	}
	start := 6
	for i, pt := range texts {
		part := buf[start:ends[i]]
		if len(part) != Overhead+len(pt) {
			t.Fatalf("value %d takes %d bytes, want %d", i, len(part), Overhead+len(pt))
		}
		got, err := Open(key, fmt.Sprint("label ", i), part)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("value %d: %q, %v", i, got, err)
		}
		start = ends[i]
	}
}

// Cipher is XChaCha20-Poly1305 as x/crypto's NewX: each opens what the
// other sealed, and a wiped Cipher neither seals nor opens.
func TestCipherMatchesNewX(t *testing.T) {
	key := bytes.Repeat([]byte{9}, KeySize)
	c, err := NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	x, err := chacha20poly1305.NewX(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{nil, []byte("state"), bytes.Repeat([]byte("y"), 5000)} {
		s, err := c.Seal("label", pt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.Open(nil, s[headerSize:headerSize+nonceSize], s[headerSize+nonceSize:], additionalData(s[:headerSize], "label"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("NewX opens the Cipher's value: %v", err)
		}
		nonce := bytes.Repeat([]byte{byte(len(pt))}, nonceSize)
		hdr := []byte{'m', 'x', version}
		theirs := append(append(append([]byte{}, hdr...), nonce...), x.Seal(nil, nonce, pt, additionalData(hdr, "label"))...)
		if got, err := c.Open("label", theirs); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("the Cipher opens NewX's value: %v", err)
		}
		if _, err := c.Open("other", theirs); errcode.Of(err) != errcode.WrongKey {
			t.Fatal("wrong label:", err)
		}
	}
	s, _ := c.Seal("l", []byte("x"))
	c.Wipe()
	if _, err := c.Open("l", s); errcode.Of(err) != errcode.BadInput {
		t.Fatal("a wiped Cipher opened:", err)
	}
	if _, err := c.Seal("l", []byte("x")); errcode.Of(err) != errcode.BadInput {
		t.Fatal("a wiped Cipher sealed:", err)
	}
	if _, err := NewCipher(key[:3]); errcode.Of(err) != errcode.BadInput {
		t.Fatal("short key:", err)
	}
}
