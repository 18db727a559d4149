package jsonvalue

import (
	"strconv"

	"github.com/mxcrypto/mxcrypto/errcode"
)

// Object reads fields of a parsed JSON object by name, keeping the first
// problem so a caller reads every field and checks once, with messages that
// name the field.
type Object struct {
	m    map[string]any
	path string
	err  *error
}

// AsObject views v as an object; path names it in errors (e.g. "keyInfo").
func AsObject(v any, path string) (Object, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Object{}, errcode.New(errcode.BadInput, "%s must be a JSON object", path)
	}
	var err error
	return Object{m: m, path: path, err: &err}, nil
}

// ParseAsObject parses a JSON text that must be an object and views it as
// one; path names it in errors (e.g. "keys query response").
func ParseAsObject(data []byte, path string) (Object, error) {
	v, err := Parse(data)
	if err != nil {
		return Object{}, errcode.Context(err, path)
	}
	return AsObject(v, path)
}

// Err is the first problem met while reading fields.
func (o Object) Err() error { return *o.err }

// Has reports whether the field is present.
func (o Object) Has(key string) bool {
	_, ok := o.m[key]
	return ok
}

// Raw returns a field as parsed (nil if absent).
func (o Object) Raw(key string) any { return o.m[key] }

func (o Object) bad(key, want string) {
	if *o.err == nil {
		*o.err = errcode.New(errcode.BadInput, "%s.%s must be %s", o.path, key, want)
	}
}

// String reads a required string field.
func (o Object) String(key string) string {
	s, ok := o.m[key].(string)
	if !ok {
		o.bad(key, "a string")
	}
	return s
}

// OptString reads a string field that may be absent.
func (o Object) OptString(key string) string {
	if _, present := o.m[key]; !present {
		return ""
	}
	return o.String(key)
}

// Int reads a required integer field.
func (o Object) Int(key string) int {
	n, ok := o.m[key].(Number)
	if !ok {
		o.bad(key, "an integer")
		return 0
	}
	v, err := strconv.Atoi(string(n))
	if err != nil {
		o.bad(key, "an integer")
	}
	return v
}

// OptInt reads an integer field that may be absent.
func (o Object) OptInt(key string, def int) int {
	if _, present := o.m[key]; !present {
		return def
	}
	return o.Int(key)
}

// Bool reads a boolean field that may be absent (false).
func (o Object) Bool(key string) bool {
	v, present := o.m[key]
	if !present {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		o.bad(key, "true or false")
	}
	return b
}

// Object reads a required object field.
func (o Object) Object(key string) Object {
	m, ok := o.m[key].(map[string]any)
	if !ok {
		o.bad(key, "an object")
		m = map[string]any{}
	}
	return Object{m: m, path: o.path + "." + key, err: o.err}
}

// OptObject reads an object field that may be absent; ok is false if absent.
func (o Object) OptObject(key string) (Object, bool) {
	if _, present := o.m[key]; !present {
		return Object{}, false
	}
	return o.Object(key), true
}

// Keys returns the field names.
func (o Object) Keys() []string {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	return keys
}

// Map returns the underlying map.
func (o Object) Map() map[string]any { return o.m }
