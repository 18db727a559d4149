//go:build js && wasm

package jsbridge

import (
	"syscall/js"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// megolmAPI: sessions live on the JS side as their unencrypted state (a
// Uint8Array held privately by a JS object, see megolm.mjs). Every call takes
// the state and returns the new one, so nothing is kept in Go between calls:
// nothing to free, and a restarted instance loses no session.
func megolmAPI() js.Value {
	return object(map[string]any{
		"outboundCreate": Async("megolm.createOutboundSession", func(a *Args) Work {
			return func() (any, error) { return outboundJS(megolm.NewOutboundGroupSession()), nil }
		}),
		"outboundSessionKey": Async("OutboundGroupSession.sessionKey", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			return func() (any, error) {
				s, err := loadOutbound(state)
				if err != nil {
					return nil, err
				}
				return s.SessionKey()
			}
		}),
		"outboundRoomKey": Async("OutboundGroupSession.roomKeyContent", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			roomID := a.String(1, "roomId")
			shared := a.Option(2, "sharedHistory").Truthy()
			return func() (any, error) {
				s, err := loadOutbound(state)
				if err != nil {
					return nil, err
				}
				content, err := s.RoomKeyContent(roomID, shared)
				return RawJSON(content), err
			}
		}),
		"outboundNeedsRotation": Async("OutboundGroupSession.needsRotation", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			var content []byte
			if a.Present(1) {
				content = a.JSON(1, "encryptionContent")
			}
			nowMs := a.Int(2, "now")
			return func() (any, error) {
				s, err := loadOutbound(state)
				if err != nil {
					return nil, err
				}
				var policy megolm.RotationPolicy
				if content != nil {
					if policy, err = megolm.RotationPolicyFromContent(content); err != nil {
						return nil, err
					}
				}
				return s.NeedsRotation(policy, time.UnixMilli(int64(nowMs))), nil
			}
		}),
		"outboundPickle": Async("OutboundGroupSession.pickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				s, err := loadOutbound(state)
				if err != nil {
					return nil, err
				}
				return s.Pickle(key)
			}
		}),
		"outboundExportLibolm": Async("OutboundGroupSession.exportLibolmPickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) {
				s, err := loadOutbound(state)
				if err != nil {
					return nil, err
				}
				return s.PickleLibolm(key)
			}
		}),
		"outboundUnpickle": Async("megolm.unpickleOutboundSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				s, err := megolm.UnpickleOutbound(key, pickle)
				return outboundOrErr(s, err)
			}
		}),
		"outboundImportLibolm": Async("megolm.importLibolmOutboundSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) {
				s, err := megolm.ImportLibolmOutbound(key, pickle)
				return outboundOrErr(s, err)
			}
		}),

		"inboundCreate": Async("megolm.createInboundSession", func(a *Args) Work {
			key := a.String(0, "sessionKey")
			return func() (any, error) { return inboundOrErr(megolm.NewInboundGroupSession(key)) }
		}),
		"inboundImport": Async("megolm.importInboundSession", func(a *Args) Work {
			key := a.String(0, "exportedKey")
			return func() (any, error) { return inboundOrErr(megolm.ImportInboundGroupSession(key)) }
		}),
		"inboundExport": Async("InboundGroupSession.export", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			hasIndex := a.Present(1)
			index := a.OptInt(1, "index", 0)
			return func() (any, error) {
				s, err := loadInbound(state)
				if err != nil {
					return nil, err
				}
				if !hasIndex {
					index = int(s.FirstKnownIndex())
				}
				if index < 0 || index > 1<<32-1 {
					return nil, errcode.New(errcode.BadInput, "index must be between 0 and 2^32-1, got %d", index)
				}
				return s.Export(uint32(index))
			}
		}),
		"inboundPickle": Async("InboundGroupSession.pickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) {
				s, err := loadInbound(state)
				if err != nil {
					return nil, err
				}
				return s.Pickle(key)
			}
		}),
		"inboundExportLibolm": Async("InboundGroupSession.exportLibolmPickle", func(a *Args) Work {
			state := a.Bytes(0, "state", -1)
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) {
				s, err := loadInbound(state)
				if err != nil {
					return nil, err
				}
				return s.PickleLibolm(key)
			}
		}),
		"inboundUnpickle": Async("megolm.unpickleInboundSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", 32)
			return func() (any, error) { return inboundOrErr(megolm.UnpickleInbound(key, pickle)) }
		}),
		"inboundImportLibolm": Async("megolm.importLibolmInboundSession", func(a *Args) Work {
			pickle := a.String(0, "pickle")
			key := a.Secret(1, "pickleKey", -1)
			return func() (any, error) { return inboundOrErr(megolm.ImportLibolmInbound(key, pickle)) }
		}),
		"keepBetter": Async("megolm.keepBetter", func(a *Args) Work {
			existing := a.Bytes(0, "existing", -1)
			incoming := a.Bytes(1, "incoming", -1)
			return func() (any, error) {
				e, err := loadInbound(existing)
				if err != nil {
					return nil, errcode.Context(err, "existing")
				}
				in, err := loadInbound(incoming)
				if err != nil {
					return nil, errcode.Context(err, "incoming")
				}
				kept, result, err := megolm.KeepBetter(e, in)
				if err != nil {
					return nil, err
				}
				out := append(inboundJS(kept), Field{"kept", mergeName(result)})
				return out, nil
			}
		}),
		// replayGuardImport checks a ReplayGuard export with Go's reader (the
		// one implementation of that format) and answers it canonical.
		"replayGuardImport": Async("megolm.ReplayGuard.import", func(a *Args) Work {
			data := []byte(a.String(0, "json"))
			return func() (any, error) {
				g, err := megolm.ImportReplayGuard(data)
				if err != nil {
					return nil, err
				}
				return string(g.Export()), nil
			}
		}),
		"parseRoomKey": Async("megolm.parseRoomKey", func(a *Args) Work {
			content := a.JSON(0, "content")
			senderKey := a.String(1, "senderKey")
			claimed := a.String(2, "senderClaimedEd25519Key")
			return func() (any, error) { return roomKeyJS(megolm.ParseRoomKey(content, senderKey, claimed)) }
		}),
		"parseForwardedRoomKey": Async("megolm.parseForwardedRoomKey", func(a *Args) Work {
			content := a.JSON(0, "content")
			return func() (any, error) { return roomKeyJS(megolm.ParseForwardedRoomKey(content)) }
		}),
	})
}

func loadOutbound(state []byte) (*megolm.OutboundGroupSession, error) {
	s, err := megolm.UnmarshalOutboundState(state)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "not an outbound session state made by this module")
	}
	return s, nil
}

func loadInbound(state []byte) (*megolm.InboundGroupSession, error) {
	s, err := megolm.UnmarshalInboundState(state)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "not an inbound session state made by this module")
	}
	return s, nil
}

func outboundJS(s *megolm.OutboundGroupSession) Fields {
	out := Fields{{"state", s.MarshalState()}, {"sessionId", s.SessionID()}, {"messageIndex", int(s.MessageIndex())}}
	if t := s.CreatedAt(); !t.IsZero() {
		out = append(out, Field{"createdAt", float64(t.UnixMilli())})
	}
	return out
}

func outboundOrErr(s *megolm.OutboundGroupSession, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return outboundJS(s), nil
}

func inboundJS(s *megolm.InboundGroupSession) Fields {
	return Fields{
		{"state", s.MarshalState()},
		{"sessionId", s.SessionID()},
		{"firstKnownIndex", int(s.FirstKnownIndex())},
		{"isVerified", s.IsVerified()},
	}
}

func inboundOrErr(s *megolm.InboundGroupSession, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return inboundJS(s), nil
}

func roomKeyJS(rk *megolm.RoomKey, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	chain := make([]any, len(rk.ForwardingCurve25519KeyChain))
	for i, k := range rk.ForwardingCurve25519KeyChain {
		chain[i] = k
	}
	return map[string]any{
		"session":                      inboundJS(rk.Session),
		"roomId":                       rk.RoomID,
		"sessionId":                    rk.SessionID,
		"senderKey":                    rk.SenderKey,
		"senderClaimedEd25519Key":      rk.SenderClaimedEd25519Key,
		"forwardingCurve25519KeyChain": chain,
		"sharedHistory":                rk.SharedHistory,
		"forwarded":                    rk.Forwarded,
	}, nil
}

func mergeName(r megolm.MergeResult) string {
	switch r {
	case megolm.KeptIncoming:
		return "incoming"
	case megolm.Conflict:
		return "conflict"
	default:
		return "existing"
	}
}
