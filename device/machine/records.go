package machine

import (
	"strconv"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// The machine's records are small JSON objects in the device's store,
// written with the device's encoder and read with jsonvalue (no
// encoding/json: it would add ~700 KB to the wasm module).

type record interface {
	toJSON() any
	fromJSON(v any) error
}

// getRecord reads a record; found is false when absent.
func getRecord(tx *store.Tx, k store.Key, r record) (bool, error) {
	raw, found, err := tx.Get(k)
	if err != nil || !found {
		return false, err
	}
	v, err := jsonvalue.Parse(raw)
	if err == nil {
		err = r.fromJSON(v)
	}
	if err != nil {
		return false, errcode.Wrap(errcode.BadPickle, err, "stored machine record is damaged")
	}
	return true, nil
}

func putRecord(tx *store.Tx, k store.Key, r record) error {
	raw, err := encodeJSON(r.toJSON())
	if err != nil {
		return err
	}
	return tx.Put(k, raw)
}

// A literal, not errcode.New: a package-level call runs (and has V8 compile
// fmt) at every start of the module.
var errDamaged = &errcode.Error{Code: errcode.BadPickle, Message: "malformed machine record"}

func asObject(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errDamaged
	}
	return m, nil
}

func asList(v any) ([]any, error) {
	l, ok := v.([]any)
	if !ok && v != nil {
		return nil, errDamaged
	}
	return l, nil
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func flag(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func uintOf(m map[string]any, k string) uint64 {
	n, _ := m[k].(jsonvalue.Number)
	u, _ := strconv.ParseUint(string(n), 10, 64)
	return u
}

func strMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, e := range m {
		if s, ok := e.(string); ok {
			out[k] = s
		}
	}
	return out
}

func anyMapOf(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// --- the records ---------------------------------------------------------

func (t trackedUsers) toJSON() any {
	out := make(map[string]any, len(t))
	for u, o := range t {
		out[u] = o
	}
	return out
}

func (t *trackedUsers) fromJSON(v any) error {
	m, err := asObject(v)
	if err != nil {
		return err
	}
	*t = trackedUsers{}
	for u, o := range m {
		b, ok := o.(bool)
		if !ok {
			return errDamaged
		}
		(*t)[u] = b
	}
	return nil
}

func (u userDevices) toJSON() any { return map[string]any{"devices": anyMapOf(u.Devices)} }

func (u *userDevices) fromJSON(v any) error {
	m, err := asObject(v)
	if err != nil {
		return err
	}
	u.Devices = strMap(m["devices"])
	return nil
}

// trustRecord is a user's device trust decisions.
type trustRecord map[string]Trust

func (t trustRecord) toJSON() any {
	out := make(map[string]any, len(t))
	for d, v := range t {
		out[d] = string(v)
	}
	return out
}

func (t *trustRecord) fromJSON(v any) error {
	*t = trustRecord{}
	for d, s := range strMap(v) {
		(*t)[d] = Trust(s)
	}
	return nil
}

func (r roomShare) toJSON() any {
	return map[string]any{
		"sessionId": r.SessionID, "sharedWith": anyMapOf(r.SharedWith), "withheld": anyMapOf(r.Withheld),
		// Canonical JSON integers stop at 2^53; longer periods mean the same.
		"periodMs": int64(min(r.PeriodMs, 1<<53-1)), "periodMsgs": int64(min(r.PeriodMsgs, 1<<53-1)),
	}
}

func (r *roomShare) fromJSON(v any) error {
	m, err := asObject(v)
	if err != nil {
		return err
	}
	*r = roomShare{
		SessionID: str(m, "sessionId"), SharedWith: strMap(m["sharedWith"]), Withheld: strMap(m["withheld"]),
		PeriodMs: uintOf(m, "periodMs"), PeriodMsgs: uintOf(m, "periodMsgs"),
	}
	return nil
}

// outbox is the to-device requests not yet sent.
type outbox []Request

func (o outbox) toJSON() any {
	out := make([]any, len(o))
	for i, r := range o {
		out[i] = map[string]any{"id": r.ID, "type": r.Type, "method": r.Method, "path": r.Path, "body": string(r.Body), "room": r.Room}
	}
	return out
}

func (o *outbox) fromJSON(v any) error {
	l, err := asList(v)
	if err != nil {
		return err
	}
	*o = nil
	for _, e := range l {
		m, err := asObject(e)
		if err != nil {
			return err
		}
		r := Request{ID: str(m, "id"), Type: str(m, "type"), Method: str(m, "method"), Path: str(m, "path"), Room: str(m, "room")}
		if b := str(m, "body"); b != "" {
			r.Body = []byte(b)
		}
		*o = append(*o, r)
	}
	return nil
}

func (k keyRequest) toJSON() any {
	return map[string]any{"requestId": k.RequestID, "senderKey": k.SenderKey}
}

func (k *keyRequest) fromJSON(v any) error {
	m, err := asObject(v)
	if err != nil {
		return err
	}
	*k = keyRequest{RequestID: str(m, "requestId"), SenderKey: str(m, "senderKey")}
	return nil
}

func (w withheldInfo) toJSON() any { return map[string]any{"code": w.Code, "reason": w.Reason} }

func (w *withheldInfo) fromJSON(v any) error {
	m, err := asObject(v)
	if err != nil {
		return err
	}
	*w = withheldInfo{Code: str(m, "code"), Reason: str(m, "reason")}
	return nil
}

// inbox is the decrypted to-device events not yet handled.
type inbox []stashed

func (b inbox) toJSON() any {
	out := make([]any, len(b))
	for i, s := range b {
		out[i] = map[string]any{
			"id": s.ID, "type": s.Type, "content": string(s.Content), "sender": s.Sender, "senderDevice": s.SenderDevice,
			"senderKey": s.SenderKey, "senderEd25519": s.SenderEd25519, "verified": s.Verified,
		}
	}
	return out
}

func (b *inbox) fromJSON(v any) error {
	l, err := asList(v)
	if err != nil {
		return err
	}
	*b = nil
	for _, e := range l {
		m, err := asObject(e)
		if err != nil {
			return err
		}
		*b = append(*b, stashed{
			ID: str(m, "id"), Type: str(m, "type"), Content: []byte(str(m, "content")), Sender: str(m, "sender"),
			SenderDevice: str(m, "senderDevice"), SenderKey: str(m, "senderKey"), SenderEd25519: str(m, "senderEd25519"),
			Verified: flag(m, "verified"),
		})
	}
	return nil
}
