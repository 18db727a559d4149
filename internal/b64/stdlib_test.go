package b64

import (
	"encoding/base64"
	"math/rand"
	"testing"
)

func TestAgainstStdlib(t *testing.T) {
	for n := 0; n < 200; n++ {
		b := make([]byte, n)
		rand.Read(b)
		if Encode(b) != base64.RawStdEncoding.EncodeToString(b) {
			t.Fatal(n)
		}
		d, err := Decode(base64.StdEncoding.EncodeToString(b))
		if err != nil || string(d) != string(b) {
			t.Fatal("pad", n, err)
		}
		d, err = Decode(base64.RawStdEncoding.EncodeToString(b))
		if err != nil || string(d) != string(b) {
			t.Fatal("raw", n, err)
		}
	}
	for c := 0; c < 256; c++ {
		want := -1
		if i := indexOf(byte(c)); i >= 0 {
			want = i
		}
		if decodeChar(byte(c)) != want {
			t.Fatal(c)
		}
	}
}
func indexOf(c byte) int {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < 64; i++ {
		if a[i] == c {
			return i
		}
	}
	return -1
}
