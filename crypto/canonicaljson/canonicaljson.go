// Package canonicaljson encodes JSON the way Matrix signs it: keys sorted by
// code point, no whitespace, integers only, strings escaped minimally.
//
// encoding/json is not canonical (it escapes <>&, U+2028/9 and orders struct
// fields by declaration), so values are parsed generically (package
// jsonvalue) and re-emitted.
package canonicaljson

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// maxSafe is 2^53-1, the largest integer canonical JSON allows.
const maxSafe = 1<<53 - 1

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 100

// Marshal re-encodes a JSON text canonically.
func Marshal(data []byte) ([]byte, error) {
	v, err := jsonvalue.Parse(data)
	if err != nil {
		return nil, err
	}
	return Encode(v)
}

// Encode writes a value made of map[string]any, []any, string, bool, nil,
// jsonvalue.Number, float64 and Go integers.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := (encoder{}).encode(&buf, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeVerbatimNumbers is Encode, except that a jsonvalue.Number is written
// as it was parsed. For JSON that is sorted and escaped like canonical JSON
// but is not signed, such as event contents, whose fractions and exponents
// (which canonical JSON forbids) must pass through unchanged.
func EncodeVerbatimNumbers(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := (encoder{verbatimNumbers: true}).encode(&buf, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type encoder struct{ verbatimNumbers bool }

func (e encoder) encode(buf *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return errcode.New(errcode.BadInput, "JSON nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeString(buf, x)
	case jsonvalue.Number:
		if e.verbatimNumbers {
			buf.WriteString(string(x))
			return nil
		}
		return writeNumber(buf, string(x))
	case float64:
		return writeNumber(buf, strconv.FormatFloat(x, 'g', -1, 64))
	case int:
		return writeNumber(buf, strconv.Itoa(x))
	case int64:
		return writeNumber(buf, strconv.FormatInt(x, 10))
	case []any:
		buf.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := e.encode(buf, el, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Byte order of UTF-8 equals code point order.
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := e.encode(buf, x[k], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return errcode.New(errcode.BadInput, "canonical JSON cannot encode a %T", v)
	}
	return nil
}

// writeNumber accepts any JSON number whose value is an integer within ±(2^53-1)
// and writes it without fraction or exponent (so -0 → 0, 1e10 → 10000000000).
func writeNumber(buf *bytes.Buffer, s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > maxSafe || n < -maxSafe {
			return errcode.New(errcode.BadInput, "number %s is outside the integer range canonical JSON allows (±(2^53-1))", s)
		}
		buf.WriteString(strconv.FormatInt(n, 10))
		return nil
	}
	n, err := exactInteger(s)
	if err != nil {
		return err
	}
	buf.WriteString(strconv.FormatInt(n, 10))
	return nil
}

// exactInteger decides exactly whether a JSON number with a fraction or an
// exponent is an integer in range: the value is digits × 10^scale, so after
// dropping trailing zeros of digits it is an integer iff scale ≥ 0.
func exactInteger(s string) (int64, error) {
	notInt := errcode.New(errcode.BadInput, "number %.40s is not an integer: canonical JSON allows integers only", s)
	outOfRange := errcode.New(errcode.BadInput, "number %.40s is outside the integer range canonical JSON allows (±(2^53-1))", s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 1_000_000 || e < -1_000_000 {
			e = 1_000_001 // only the sign and size matter below
			if strings.HasPrefix(s[i+1:], "-") {
				e = -1_000_001
			}
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	scale := exp - len(frac)
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		scale++
	}
	if digits == "" {
		return 0, nil // any spelling of zero, including -0
	}
	if scale < 0 {
		return 0, notInt
	}
	if len(digits)+scale > 16 { // 2^53 has 16 digits
		return 0, outOfRange
	}
	v, err := strconv.ParseInt(digits+strings.Repeat("0", scale), 10, 64)
	if err != nil || v > maxSafe {
		return 0, outOfRange
	}
	if neg {
		v = -v
	}
	return v, nil
}

func writeString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			// A run of bytes that are written as they are goes in one
			// copy (a byte at a time was most of encoding a message body).
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
				j++
			}
			buf.WriteString(s[i:j])
			i = j
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			buf.WriteRune(r) // invalid UTF-8 becomes U+FFFD
			i += size
			continue
		}
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\t':
			buf.WriteString(`\t`)
		case '\n':
			buf.WriteString(`\n`)
		case '\f':
			buf.WriteString(`\f`)
		case '\r':
			buf.WriteString(`\r`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xf])
		}
		i++
	}
	buf.WriteByte('"')
}
