package jsonvalue

import (
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/errcode"
)

func TestParseAsObject(t *testing.T) {
	o, err := ParseAsObject([]byte(`{"a":"x"}`), "thing")
	if err != nil || o.String("a") != "x" || o.Err() != nil {
		t.Fatalf("%v %v", err, o.Err())
	}
	for _, bad := range []string{`[]`, `{`, ``} {
		_, err := ParseAsObject([]byte(bad), "thing")
		if errcode.Of(err) == "" || !strings.Contains(err.Error(), "thing") {
			t.Errorf("%q: %v, want an error naming the argument", bad, err)
		}
	}
}
