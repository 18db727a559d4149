//go:build js && wasm

package jsbridge

import (
	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/megolm"
	"github.com/mxcrypto/mxcrypto/crypto/olm"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/errcode"
)

// directOps are the operations the loader calls directly (see direct.go):
// the per-message ones, where the syscall/js round trip would cost more
// than the cryptography. Their arguments are those of the Async exports of
// the same name.
var directOps = []directOp{
	{"megolm.outboundEncrypt", func(r *request) (any, error) {
		state, plaintext := r.Bytes("state", -1), r.RawString("plaintext")
		if r.Err() != nil {
			return nil, nil
		}
		s, err := loadOutbound(state)
		if err != nil {
			return nil, err
		}
		ct, err := s.Encrypt(plaintext)
		if err != nil {
			return nil, err
		}
		return append(outboundJS(s), Field{"ciphertext", ct}), nil
	}},
	{"megolm.inboundDecrypt", directInboundDecrypt((*megolm.InboundGroupSession).Decrypt)},
	// The loader verifies the signature with WebCrypto meanwhile.
	{"megolm.inboundDecryptSignatureChecked", directInboundDecrypt((*megolm.InboundGroupSession).DecryptSignatureCheckedElsewhere)},

	{"olm.sessionEncrypt", func(r *request) (any, error) {
		state, plaintext := r.Bytes("state", -1), r.RawString("plaintext")
		if r.Err() != nil {
			return nil, nil
		}
		return withSession(state, func(s *olm.Session) (any, error) {
			m, err := s.Encrypt(plaintext)
			if err != nil {
				return nil, err
			}
			return map[string]any{"type": int(m.Type), "body": m.Body}, nil
		})
	}},
	{"olm.sessionDecrypt", func(r *request) (any, error) {
		state, msg := r.Bytes("state", -1), directOlmMessage(r)
		if r.Err() != nil {
			return nil, nil
		}
		return withSession(state, func(s *olm.Session) (any, error) {
			pt, err := s.Decrypt(msg)
			return SecretText(pt), err
		})
	}},
	{"olm.accountCreateOutboundSession", func(r *request) (any, error) {
		acc, err := directAccount(r)
		identityKey, oneTimeKey := r.String("theirIdentityKey"), r.String("theirOneTimeKey")
		if err != nil || r.Err() != nil {
			return nil, err
		}
		s, err := acc.NewOutboundSession(identityKey, oneTimeKey)
		if err != nil {
			return nil, err
		}
		return sessionJS(s), nil
	}},
	{"olm.accountCreateInboundSession", func(r *request) (any, error) {
		acc, err := directAccount(r)
		identityKey, msg := r.String("theirIdentityKey"), directOlmMessage(r)
		if err != nil || r.Err() != nil {
			return nil, err
		}
		s, pt, err := acc.NewInboundSession(identityKey, msg)
		if err != nil {
			return nil, err
		}
		return accountJS(acc, Fields{{"session", sessionJS(s)}, {"plaintext", SecretText(pt)}}), nil
	}},

	// One backup entry per call (backup.decrypt and backup.encrypt), and
	// their halves after WebCrypto did the X25519 step (backup.mjs).
	{"backup.decrypt", func(r *request) (any, error) {
		priv, enc := r.Bytes("privateKey", pk.KeySize), r.JSON("encrypted")
		if r.Err() != nil {
			return nil, nil
		}
		return backupDecrypt(enc, func(m pk.Message) ([]byte, error) { return backup.Decrypt(priv, m) })
	}},
	{"backup._decryptShared", func(r *request) (any, error) {
		shared, enc := r.Bytes("shared", 32), r.JSON("encrypted")
		if r.Err() != nil {
			return nil, nil
		}
		return backupDecrypt(enc, func(m pk.Message) ([]byte, error) { return backup.DecryptShared(shared, m) })
	}},
	{"backup.encrypt", func(r *request) (any, error) {
		pub, data := r.String("publicKey"), r.JSON("sessionData")
		if r.Err() != nil {
			return nil, nil
		}
		m, err := backup.Encrypt(pub, data)
		return pkMessageJS(m), err
	}},
	{"backup._encryptShared", func(r *request) (any, error) {
		shared, ephemeral, data := r.Bytes("shared", 32), r.Bytes("ephemeral", 32), r.JSON("sessionData")
		if r.Err() != nil {
			return nil, nil
		}
		m, err := backup.EncryptShared(shared, ephemeral, data)
		return pkMessageJS(m), err
	}},
}

func backupDecrypt(enc []byte, decrypt func(pk.Message) ([]byte, error)) (any, error) {
	m, err := pkMessageArg(enc, "encrypted")
	if err != nil {
		return nil, err
	}
	pt, err := decrypt(m)
	if err != nil {
		return nil, err
	}
	return RawJSON(pt), nil
}

func directInboundDecrypt(decrypt func(*megolm.InboundGroupSession, string) ([]byte, uint32, error)) directFn {
	return func(r *request) (any, error) {
		state, msg := r.Bytes("state", -1), r.String("message")
		if r.Err() != nil {
			return nil, nil
		}
		s, err := loadInbound(state)
		if err != nil {
			return nil, err
		}
		pt, index, err := decrypt(s, msg)
		if err != nil {
			return nil, err
		}
		return append(inboundJS(s), Field{"plaintext", SecretText(pt)}, Field{"messageIndex", int(index)}), nil
	}
}

// withSession runs fn on a session state and returns the new state with
// fn's result; on failure the caller keeps the old state.
func withSession(state []byte, fn func(*olm.Session) (any, error)) (any, error) {
	s, err := loadSession(state)
	if err != nil {
		return nil, err
	}
	v, err := fn(s)
	if err != nil {
		return nil, err
	}
	return append(sessionJS(s), Field{"result", v}), nil
}

// directAccount reads (state, now, fallbackRotationPeriodMs,
// fallbackRetentionMs), the numbers null when unset (see olm.mjs).
func directAccount(r *request) (*olm.Account, error) {
	state := r.Bytes("state", -1)
	var settings accountSettings
	if !r.Null() {
		settings.nowMs, settings.hasNow = r.Int("now"), true
	}
	if !r.Null() {
		settings.rotationMs = r.Int("fallbackRotationPeriodMs")
	}
	if !r.Null() {
		settings.keepMs = r.Int("fallbackRetentionMs")
	}
	if r.Err() != nil {
		return nil, nil
	}
	acc, err := olm.UnmarshalAccountState(state)
	if err != nil {
		return nil, errcode.Wrap(errcode.BadInput, err, "not an account state made by this module")
	}
	settings.apply(acc)
	return acc, nil
}

// directOlmMessage reads a message as (type, body).
func directOlmMessage(r *request) olm.Message {
	t, body := r.Int("message.type"), r.String("message.body")
	if r.Err() == nil && t != int(olm.MessageTypePreKey) && t != int(olm.MessageTypeNormal) {
		r.Fail("message type must be 0 (pre-key) or 1 (normal), got %d", t)
	}
	return olm.Message{Type: olm.MessageType(t), Body: body}
}
