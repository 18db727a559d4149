package canonicaljson

import (
	"math/big"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// exactInteger must agree with exact rational arithmetic.
func checkExactInteger(t *testing.T, s string) {
	got, err := exactInteger(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return
	}
	wantOK := r.IsInt() && r.Num().IsInt64() && r.Num().Int64() <= maxSafe && r.Num().Int64() >= -maxSafe
	if (err == nil) != wantOK {
		t.Fatalf("%q: err=%v, exact says ok=%v", s, err, wantOK)
	}
	if wantOK && got != r.Num().Int64() {
		t.Fatalf("%q: got %d, want %s", s, got, r.Num())
	}
}

func TestExactIntegerMatchesBigRat(t *testing.T) {
	for _, s := range []string{"0.0", "-0.0e5", "1e0", "1.0", "1.5", "15e-1", "1e15", "9.007199254740991e15", "9.007199254740992e15",
		"-9007199254740991.0", "1e16", "0.1e17", "100e-2", "1e-1000000000", "1e1000000000", "0e1000000000", "123.4560e3", "1.0000000000000000000001"} {
		checkExactInteger(t, s)
	}
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var sb strings.Builder
		if rnd.Intn(2) == 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(strconv.Itoa(rnd.Intn(100000)))
		if rnd.Intn(2) == 0 {
			sb.WriteString("." + strings.Repeat("0", rnd.Intn(3)) + strconv.Itoa(rnd.Intn(1000)))
		}
		if rnd.Intn(2) == 0 {
			sb.WriteString("e" + strconv.Itoa(rnd.Intn(40)-20))
		}
		checkExactInteger(t, sb.String())
	}
}

func FuzzExactInteger(f *testing.F) {
	f.Add("1.5e3")
	f.Add("9007199254740991e0")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 60 || strings.ContainsAny(s, "eE") && len(s) > 30 {
			return // big.Rat would take too long on huge exponents
		}
		if v, err := jsonvalue.Parse([]byte(s)); err != nil {
			return // only JSON numbers reach exactInteger
		} else if _, ok := v.(jsonvalue.Number); !ok {
			return
		}
		checkExactInteger(t, s)
	})
}
