package machine

import (
	"cmp"
	"slices"

	"github.com/mxcrypto/mxcrypto/errcode"
	"github.com/mxcrypto/mxcrypto/internal/jsonvalue"
	"github.com/mxcrypto/mxcrypto/store"
)

// Request types.
const (
	KeysUpload   = "keys_upload"
	KeysQuery    = "keys_query"
	KeysClaim    = "keys_claim"
	ToDevice     = "to_device"
	BackupUpload = "backup_upload"
	BackupGet    = "backup_get"
)

const clientPrefix = "/_matrix/client/v3"

// Request is an HTTP request for the driver to send. Path is absolute from
// the homeserver's base URL, already escaped, with its query string.
type Request struct {
	ID     string
	Type   string
	Method string
	Path   string
	Body   []byte // JSON; nil for GET
	// Room: a to-device request that gives out (or withholds) this room's
	// key, so ShareRoomKey lists it until it is sent.
	Room string
}

// escape percent-encodes a path segment or query value: everything but
// RFC 3986's unreserved characters (net/url would add ~100 KB to the wasm).
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hex[c>>4], hex[c&15])
	}
	return string(out)
}

// outbox is the persisted list of to-device requests not yet sent.
var outboxKey = recordKey("outbox")

func loadOutbox(tx *store.Tx) (outbox, error) {
	var out outbox
	_, err := getRecord(tx, outboxKey, &out)
	return out, err
}

// toDeviceRequests builds PUT /sendToDevice requests for messages
// (user → device → content), at most maxPerRequest messages each.
func toDeviceRequests(eventType, room string, messages map[devRef]any) ([]Request, error) {
	const maxPerRequest = 100
	// Sorted as pointers: a sort over pointers shares its code with every
	// other such sort, where one over []devRef would add ~25 KB of generic
	// code to the wasm module.
	refs := make([]*devRef, 0, len(messages))
	for r := range messages {
		refs = append(refs, &r)
	}
	slices.SortFunc(refs, func(a, b *devRef) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Device, b.Device))
	})
	var out []Request
	for start := 0; start < len(refs); start += maxPerRequest {
		body := map[string]any{}
		for _, r := range refs[start:min(start+maxPerRequest, len(refs))] {
			u, _ := body[r.User].(map[string]any)
			if u == nil {
				u = map[string]any{}
				body[r.User] = u
			}
			u[r.Device] = messages[*r]
		}
		raw, err := encodeJSON(map[string]any{"messages": body})
		if err != nil {
			return nil, err
		}
		id := newID()
		out = append(out, Request{
			ID: id, Type: ToDevice, Method: "PUT", Room: room,
			Path: clientPrefix + "/sendToDevice/" + escape(eventType) + "/" + escape(id),
			Body: raw,
		})
	}
	return out, nil
}

// queue adds to-device requests to the outbox, in the caller's transaction.
func queue(tx *store.Tx, reqs ...Request) error {
	if len(reqs) == 0 {
		return nil
	}
	box, err := loadOutbox(tx)
	if err != nil {
		return err
	}
	box = append(box, reqs...)
	return putRecord(tx, outboxKey, &box)
}

// OutgoingRequests lists every request waiting to be sent. A request keeps
// its id until marked as sent; after a restart, to-device requests are
// listed again with the same ids (the transaction id makes a resend
// harmless), the others are made anew.
func (m *Machine) OutgoingRequests() ([]Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Request
	if err := m.ensureUpload(); err != nil {
		return nil, err
	}
	if m.upload != nil {
		out = append(out, *m.upload)
	}
	if err := m.ensureQuery(); err != nil {
		return nil, err
	}
	if m.query != nil {
		out = append(out, *m.query)
	}
	for _, id := range sortedIDs(m.claims) {
		out = append(out, m.claims[id].req)
	}
	err := m.st.View(func(tx *store.Tx) error {
		box, err := loadOutbox(tx)
		out = append(out, box...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.ensureBackupUpload(); err != nil {
		return nil, err
	}
	if m.backupUpload != nil {
		out = append(out, *m.backupUpload)
	}
	for _, id := range sortedIDs(m.backupGets) {
		out = append(out, m.backupGets[id].req)
	}
	return out, nil
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Response is the answer to a request: the HTTP status (0 means 200) and
// the body (JSON; for an error the Matrix error object).
type Response struct {
	Status int
	Body   []byte
}

func (r Response) ok() bool { return r.Status == 0 || (r.Status >= 200 && r.Status < 300) }

// matrixError reads errcode from an error body ("" when there is none).
func (r Response) matrixError() (code string, body jsonvalue.Object) {
	v, err := jsonvalue.Parse(r.Body)
	if err != nil {
		return "", jsonvalue.Object{}
	}
	o, err := jsonvalue.AsObject(v, "error")
	if err != nil {
		return "", jsonvalue.Object{}
	}
	code = o.OptString("errcode")
	return code, o
}

// MarkRequestAsSent digests the answer to a request. With an error status
// the request is dropped (retry 429 and 5xx before giving up); an unknown
// id is ignored, so answering twice is harmless.
func (m *Machine) MarkRequestAsSent(id, typ string, resp Response) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch typ {
	case KeysUpload:
		return nil, m.uploadSent(id, resp)
	case KeysQuery:
		return m.querySent(id, resp)
	case KeysClaim:
		return m.claimSent(id, resp)
	case ToDevice:
		return nil, m.toDeviceSent(id, resp)
	case BackupUpload:
		return m.backupUploadSent(id, resp)
	case BackupGet:
		return m.backupGetSent(id, resp)
	case SigningKeysUpload:
		return m.signingKeysSent(id, resp)
	case SignaturesUpload:
		return m.signaturesSent(id, resp)
	}
	return nil, errcode.New(errcode.BadInput, "unknown request type %q", typ)
}

// toDeviceSent drops a sent to-device request from the outbox. A refused
// one is dropped too: resending the same body would be refused again.
func (m *Machine) toDeviceSent(id string, _ Response) error {
	return m.st.Update(func(tx *store.Tx) error {
		box, err := loadOutbox(tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(box, func(r Request) bool { return r.ID == id })
		if i < 0 {
			return nil
		}
		box = slices.Delete(box, i, i+1)
		return putRecord(tx, outboxKey, &box)
	})
}
