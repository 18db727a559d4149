package backupproxy

import (
	"strconv"

	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// ParseWhoAmI reads the upstream answer to GET /account/whoami. A 401 is
// passed on as the homeserver shaped it (M_UNKNOWN_TOKEN, soft_logout); any
// other failure is the upstream's fault: 502.
func ParseWhoAmI(status int, body []byte) (string, error) {
	if status == 401 {
		return "", upstreamAuthError(body)
	}
	if status != 200 {
		return "", UpstreamError(false, "whoami answered "+statusText(status))
	}
	obj, err := jsonvalue.ParseObject(body)
	if err != nil {
		return "", UpstreamError(false, "whoami answer is not JSON")
	}
	userID, _ := obj["user_id"].(string)
	if userID == "" || len(userID) > maxIDBytes {
		return "", UpstreamError(false, "whoami answer has no user_id")
	}
	return userID, nil
}

// upstreamAuthError passes a homeserver 401 on when it is a Matrix error,
// else answers M_UNKNOWN_TOKEN.
func upstreamAuthError(body []byte) *MatrixError {
	obj, err := jsonvalue.ParseObject(body)
	if code, _ := obj["errcode"].(string); err == nil && code != "" {
		return &MatrixError{Status: 401, Code: code, Raw: body}
	}
	return newError(401, ErrUnknownToken, "unknown access token")
}

// KeysQueryBody asks for every device of one user.
func KeysQueryBody(userID string) string {
	b := appendJSONString([]byte(`{"device_keys":{`), userID)
	return string(append(b, `:[]}}`...))
}

// CheckKeysQuery passes a 200 answer of POST /keys/query through.
func CheckKeysQuery(status int, body []byte) ([]byte, error) {
	if status == 401 {
		return nil, upstreamAuthError(body)
	}
	if status != 200 {
		return nil, UpstreamError(false, "keys/query answered "+statusText(status))
	}
	return body, nil
}

func statusText(status int) string {
	return strconv.Itoa(status)
}
