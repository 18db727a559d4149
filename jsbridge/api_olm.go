//go:build js && wasm

package jsbridge

import (
	"math"
	"syscall/js"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/b64"
)

// olmAccountCall wraps an Account method: the arguments are (state,
// settings, ...method arguments), and fn sees the method arguments from
// index 0.
//
// Not inlined: inlined, each call site got its own copy of the closures
// (about 1 KB of wasm each).
//
//go:noinline
func olmAccountCall(name string, fn func(a *Args, load func() (*olm.Account, error)) Work) js.Func {
	return Async(name, func(a *Args) Work {
		state := a.Bytes(0, "state", -1)
		settings := accountOptions(a, 1)
		a.vals = a.vals[min(2, len(a.vals)):]
		return fn(a, func() (*olm.Account, error) {
			acc, err := olm.UnmarshalAccountState(state)
			if err != nil {
				return nil, errcode.Wrap(errcode.BadInput, err, "not an account state made by this module")
			}
			settings.apply(acc)
			return acc, nil
		})
	})
}

// olmAPI: like megolmAPI, accounts and sessions live on the JS side as their
// unencrypted state. Account calls also carry the caller's clock reading and
// fallback-key settings (see olm.mjs), which are not part of the state.
func olmAPI() js.Value {
	return object(map[string]any{
		"accountCreate": Async("olm.createAccount", func(a *Args) Work {
			opts := accountOptions(a, 0)
			return func() (any, error) {
				acc := olm.NewAccount()
				opts.apply(acc)
				return accountJS(acc, nil), nil
			}
		}),
		"accountUnpickle": Async("olm.unpickleAccount", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				raw, err := b64.Decode(pickle)
				if err != nil {
					return nil, errcode.Wrap(errcode.BadPickle, err, "account pickle is not base64")
				}
				acc, err := olm.UnpickleAccount(key, raw)
				if err != nil {
					return nil, err
				}
				return accountJS(acc, nil), nil
			}
		}),
		"accountImportLibolm": Async("olm.importLibolmAccount", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", -1)
			settings := accountOptions(a, 2)
			return func() (any, error) {
				now := time.Now()
				if settings.hasNow {
					now = time.UnixMilli(int64(settings.nowMs))
				}
				acc, err := olm.ImportLibolmAccountAt(key, pickle, now)
				if err != nil {
					return nil, err
				}
				settings.apply(acc)
				return accountJS(acc, nil), nil
			}
		}),
		"accountSign": olmAccountCall("Account.sign", func(a *Args, load func() (*olm.Account, error)) Work {
			msg := a.String(0, "message")
			return func() (any, error) {
				acc, err := load()
				if err != nil {
					return nil, err
				}
				return acc.Sign([]byte(msg)), nil
			}
		}),
		"accountGenerateOneTimeKeys": olmAccountCall("Account.generateOneTimeKeys", func(a *Args, load func() (*olm.Account, error)) Work {
			n := a.Int(0, "count")
			return mutateAccount(load, func(acc *olm.Account) (any, error) { return nil, acc.GenerateOneTimeKeys(n) })
		}),
		"accountMarkKeysAsPublished": olmAccountCall("Account.markKeysAsPublished", func(a *Args, load func() (*olm.Account, error)) Work {
			return mutateAccount(load, func(acc *olm.Account) (any, error) { acc.MarkKeysAsPublished(); return nil, nil })
		}),
		"accountGenerateFallbackKey": olmAccountCall("Account.generateFallbackKey", func(a *Args, load func() (*olm.Account, error)) Work {
			return mutateAccount(load, func(acc *olm.Account) (any, error) { return nil, acc.GenerateFallbackKey() })
		}),
		"accountRotateFallbackKeyIfNeeded": olmAccountCall("Account.rotateFallbackKeyIfNeeded", func(a *Args, load func() (*olm.Account, error)) Work {
			var types []string
			known := a.Present(0)
			if known {
				types = a.StringList(0, "unusedFallbackKeyTypes")
			}
			return mutateAccount(load, func(acc *olm.Account) (any, error) {
				if !known {
					types = nil
				} else if types == nil {
					types = []string{}
				}
				return acc.RotateFallbackKeyIfNeeded(types)
			})
		}),
		"accountKeysForUpload": olmAccountCall("Account.keysForUpload", func(a *Args, load func() (*olm.Account, error)) Work {
			userID := a.String(0, "userId")
			deviceID := a.String(1, "deviceId")
			return func() (any, error) {
				acc, err := load()
				if err != nil {
					return nil, err
				}
				return acc.KeysForUpload(userID, deviceID)
			}
		}),
		"accountPickle": olmAccountCall("Account.pickle", func(a *Args, load func() (*olm.Account, error)) Work {
			key := a.Secret(0, "pickleKey", 32)
			return func() (any, error) {
				acc, err := load()
				if err != nil {
					return nil, err
				}
				p, err := acc.Pickle(key)
				return b64.Encode(p), err
			}
		}),
		"accountExportLibolm": olmAccountCall("Account.exportLibolmPickle", func(a *Args, load func() (*olm.Account, error)) Work {
			key := a.Secret(0, "pickleKey", -1)
			return func() (any, error) {
				acc, err := load()
				if err != nil {
					return nil, err
				}
				return acc.ExportLibolm(key)
			}
		}),

		"sessionMatchesInbound": Async("Session.matchesInbound", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			msg := olmMessageArg(a, 1)
			identityKey := a.OptString(2, "theirIdentityKey", "")
			return func() (any, error) {
				s, err := loadSession(state)
				if err != nil {
					return nil, err
				}
				if identityKey != "" {
					return s.MatchesInboundFrom(identityKey, msg), nil
				}
				return s.MatchesInbound(msg), nil
			}
		}),
		"sessionPickle": Async("Session.pickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				s, err := loadSession(state)
				if err != nil {
					return nil, err
				}
				p, err := s.Pickle(key)
				return b64.Encode(p), err
			}
		}),
		"sessionExportLibolm": Async("Session.exportLibolmPickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) {
				s, err := loadSession(state)
				if err != nil {
					return nil, err
				}
				return s.ExportLibolm(key)
			}
		}),
		"sessionUnpickle": Async("olm.unpickleSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				raw, err := b64.Decode(pickle)
				if err != nil {
					return nil, errcode.Wrap(errcode.BadPickle, err, "session pickle is not base64")
				}
				s, err := olm.UnpickleSession(key, raw)
				if err != nil {
					return nil, err
				}
				return sessionJS(s), nil
			}
		}),
		"sessionImportLibolm": Async("olm.importLibolmSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) {
				s, err := olm.ImportLibolmSession(key, pickle)
				if err != nil {
					return nil, err
				}
				return sessionJS(s), nil
			}
		}),
	})
}

// accountSettings are the per-call settings of an account.
type accountSettings struct {
	nowMs              int
	rotationMs, keepMs int
	hasNow             bool
}

// accountOptions reads {now, fallbackRotationPeriodMs, fallbackRetentionMs}.
func accountOptions(a *Args, i int) accountSettings {
	var s accountSettings
	if v := a.Option(i, "now"); v.Type() == js.TypeNumber {
		s.nowMs, s.hasNow = optionInt(a, v, "now"), true
	}
	if v := a.Option(i, "fallbackRotationPeriodMs"); v.Type() == js.TypeNumber {
		s.rotationMs = optionInt(a, v, "fallbackRotationPeriodMs")
	}
	if v := a.Option(i, "fallbackRetentionMs"); v.Type() == js.TypeNumber {
		s.keepMs = optionInt(a, v, "fallbackRetentionMs")
	}
	return s
}

// optionInt reads a number option that must be a safe integer (NaN, 0.5 or
// 1e300 are refused, not converted to whatever int(f) gives).
func optionInt(a *Args, v js.Value, name string) int {
	f := v.Float()
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		a.fail(errcode.BadInput, "%s must be an integer, got %v", name, f)
		return 0
	}
	return int(f)
}

func (s accountSettings) apply(acc *olm.Account) {
	if s.hasNow {
		now := time.UnixMilli(int64(s.nowMs))
		acc.Clock = func() time.Time { return now }
	}
	acc.FallbackRotationPeriod = time.Duration(s.rotationMs) * time.Millisecond
	acc.FallbackRetention = time.Duration(s.keepMs) * time.Millisecond
}

func mutateAccount(load func() (*olm.Account, error), fn func(*olm.Account) (any, error)) Work {
	return func() (any, error) {
		acc, err := load()
		if err != nil {
			return nil, err
		}
		v, err := fn(acc)
		if err != nil {
			return nil, err
		}
		return accountJS(acc, v), nil
	}
}

func accountJS(acc *olm.Account, result any) Fields {
	ik := acc.IdentityKeys()
	return Fields{
		{"state", acc.MarshalState()},
		{"identityKeys", map[string]any{"curve25519": ik.Curve25519, "ed25519": ik.Ed25519}},
		{"unpublishedOneTimeKeys", stringMap(acc.UnpublishedOneTimeKeys())},
		{"unpublishedFallbackKey", stringMap(acc.UnpublishedFallbackKey())},
		{"oneTimeKeyCount", acc.OneTimeKeyCount()},
		{"maxNumberOfOneTimeKeys", acc.MaxNumberOfOneTimeKeys()},
		{"fallbackKeyStatus", fallbackStatusJS(acc.FallbackKeyStatus())},
		{"result", result},
	}
}

func fallbackStatusJS(keys []olm.FallbackKeyInfo) []any {
	out := make([]any, len(keys))
	ms := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return float64(t.UnixMilli())
	}
	for i, k := range keys {
		out[i] = map[string]any{
			"keyId": k.KeyID, "publicKey": k.PublicKey, "current": k.Current,
			"created": ms(k.Created), "published": ms(k.Published), "replaced": ms(k.Replaced), "used": ms(k.Used),
		}
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func loadSession(state []byte) (*olm.Session, error) {
	s, err := olm.UnmarshalSessionState(state)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "not an Olm session state made by this module")
	}
	return s, nil
}

func sessionJS(s *olm.Session) Fields {
	return Fields{{"state", s.MarshalState()}, {"sessionId", s.ID()}, {"hasReceivedMessage", s.HasReceivedMessage()}}
}

// olmMessageArg reads {type: 0 | 1, body: string}.
func olmMessageArg(a *Args, i int) olm.Message {
	v := a.get(i)
	if a.err != nil {
		return olm.Message{}
	}
	if v.Type() != js.TypeObject || v.Get("type").Type() != js.TypeNumber || v.Get("body").Type() != js.TypeString {
		a.fail(errcode.BadInput, "message must be {type: 0 | 1, body: string}")
		return olm.Message{}
	}
	// Compared as a float: 0.7, -0.5 or NaN must be refused, not truncated
	// to 0 (the direct-call path refuses them the same way).
	f := v.Get("type").Float()
	if f != float64(olm.MessageTypePreKey) && f != float64(olm.MessageTypeNormal) {
		a.fail(errcode.BadInput, "message type must be 0 (pre-key) or 1 (normal), got %v", f)
		return olm.Message{}
	}
	return olm.Message{Type: olm.MessageType(int(f)), Body: v.Get("body").String()}
}
