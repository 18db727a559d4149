//go:build js && wasm

package jsbridge

import (
	"syscall/js"

	"github.com/mxcrypto/mxcrypto/crypto/backup"
	"github.com/mxcrypto/mxcrypto/crypto/pk"
	"github.com/mxcrypto/mxcrypto/crypto/ssss"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
)

// Conversions between the API's JSON shapes and the crypto packages' types.
// They are written out rather than done by reflection (encoding/json) to keep
// the wasm module small.

func pkMessageArg(data []byte, name string) (pk.Message, error) {
	o, err := jsonvalue.ParseAsObject(data, name)
	if err != nil {
		return pk.Message{}, err
	}
	m := pk.Message{Ciphertext: o.String("ciphertext"), Ephemeral: o.String("ephemeral"), MAC: o.String("mac")}
	return m, o.Err()
}

func pkMessageJS(m pk.Message) map[string]any {
	return map[string]any{"ciphertext": m.Ciphertext, "ephemeral": m.Ephemeral, "mac": m.MAC}
}

func aesHmacArg(data []byte, name string) (ssss.Encrypted, error) {
	o, err := jsonvalue.ParseAsObject(data, name)
	if err != nil {
		return ssss.Encrypted{}, err
	}
	e := ssss.Encrypted{IV: o.String("iv"), Ciphertext: o.String("ciphertext"), MAC: o.String("mac")}
	return e, o.Err()
}

func aesHmacJS(e ssss.Encrypted) map[string]any {
	return map[string]any{"iv": e.IV, "ciphertext": e.Ciphertext, "mac": e.MAC}
}

func passphraseInfo(o jsonvalue.Object) *ssss.PassphraseInfo {
	return &ssss.PassphraseInfo{
		Algorithm:  o.String("algorithm"),
		Salt:       o.String("salt"),
		Iterations: o.Int("iterations"),
		Bits:       o.OptInt("bits", 0),
	}
}

func passphraseInfoJS(p *ssss.PassphraseInfo) map[string]any {
	m := map[string]any{"algorithm": p.Algorithm, "salt": p.Salt, "iterations": p.Iterations}
	if p.Bits != 0 {
		m["bits"] = p.Bits
	}
	return m
}

func keyInfoArg(data []byte, name string) (ssss.KeyInfo, error) {
	o, err := jsonvalue.ParseAsObject(data, name)
	if err != nil {
		return ssss.KeyInfo{}, err
	}
	info := ssss.KeyInfo{
		Algorithm: o.String("algorithm"),
		Name:      o.OptString("name"),
		IV:        o.OptString("iv"),
		MAC:       o.OptString("mac"),
		PubKey:    o.OptString("pubkey"),
	}
	if p, ok := o.OptObject("passphrase"); ok {
		info.Passphrase = passphraseInfo(p)
	}
	return info, o.Err()
}

func keyInfoJS(k ssss.KeyInfo) map[string]any {
	m := map[string]any{"algorithm": k.Algorithm}
	for field, v := range map[string]string{"name": k.Name, "iv": k.IV, "mac": k.MAC, "pubkey": k.PubKey} {
		if v != "" {
			m[field] = v
		}
	}
	if k.Passphrase != nil {
		m["passphrase"] = passphraseInfoJS(k.Passphrase)
	}
	return m
}

// decryptManyJS builds the result object directly: session data is parsed
// by JSON.parse, the fastest JSON reader the host has.
func decryptManyJS(r *backup.Result) js.Value {
	sessions := js.Global().Get("Array").New(len(r.Sessions))
	for i, s := range r.Sessions {
		o := js.Global().Get("Object").New()
		o.Set("roomId", jsString(s.RoomID))
		o.Set("sessionId", jsString(s.SessionID))
		o.Set("sessionData", jsonObj.Call("parse", string(s.SessionData)))
		sessions.SetIndex(i, o)
	}
	failures := js.Global().Get("Array").New(len(r.Failures))
	for i, f := range r.Failures {
		o := js.Global().Get("Object").New()
		o.Set("roomId", jsString(f.RoomID))
		o.Set("sessionId", jsString(f.SessionID))
		o.Set("code", string(f.Code))
		failures.SetIndex(i, o)
	}
	out := js.Global().Get("Object").New()
	out.Set("sessions", sessions)
	out.Set("failures", failures)
	return out
}
