package backupproxy

import (
	"fmt"
	"strconv"
)

// Matrix error codes the backup API answers with (Matrix spec, client-server
// API "Standard error response" and the room_keys endpoints).
const (
	ErrMissingToken     = "M_MISSING_TOKEN"
	ErrUnknownToken     = "M_UNKNOWN_TOKEN"
	ErrNotJSON          = "M_NOT_JSON"
	ErrBadJSON          = "M_BAD_JSON"
	ErrInvalidParam     = "M_INVALID_PARAM"
	ErrMissingParam     = "M_MISSING_PARAM"
	ErrTooLarge         = "M_TOO_LARGE"
	ErrNotFound         = "M_NOT_FOUND"
	ErrUnrecognized     = "M_UNRECOGNIZED"
	ErrWrongKeysVersion = "M_WRONG_ROOM_KEYS_VERSION"
	ErrUnknown          = "M_UNKNOWN"
)

// MatrixError is an error answer: HTTP status, errcode and a message for a
// person. Extra members (current_version, soft_logout) go in Extra.
type MatrixError struct {
	Status  int
	Code    string
	Message string
	Extra   map[string]string
	// Raw, when set, is an upstream error body passed on as it is.
	Raw []byte
}

func (e *MatrixError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// JSON is the error body.
func (e *MatrixError) JSON() []byte {
	if e.Raw != nil {
		return e.Raw
	}
	b := []byte(`{"errcode":`)
	b = strconv.AppendQuote(b, e.Code)
	b = append(b, `,"error":`...)
	b = appendJSONString(b, e.Message)
	for _, k := range sortedKeys(e.Extra) {
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, e.Extra[k])
	}
	return append(b, '}')
}

func newError(status int, code, format string, args ...any) *MatrixError {
	return &MatrixError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badJSON(format string, args ...any) *MatrixError {
	return newError(400, ErrBadJSON, format, args...)
}

func invalidParam(format string, args ...any) *MatrixError {
	return newError(400, ErrInvalidParam, format, args...)
}

func notFound(format string, args ...any) *MatrixError {
	return newError(404, ErrNotFound, format, args...)
}

// UpstreamError is a failure to reach the upstream homeserver: 502, or 504
// when it timed out. The host builds it; the service passes it on.
func UpstreamError(timedOut bool, detail string) *MatrixError {
	if timedOut {
		return newError(504, ErrUnknown, "upstream homeserver timed out")
	}
	return newError(502, ErrUnknown, "upstream homeserver unreachable: %s", detail)
}

// InternalError is the answer to a bug or a storage failure: 500 M_UNKNOWN.
// The detail is not shown to the client (it may name tables or values).
func InternalError() *MatrixError {
	return newError(500, ErrUnknown, "internal error")
}
