package backupproxy

import (
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mxcrypto/mxcrypto/crypto/canonicaljson"
)

// Upstream is the homeserver behind the proxy, as the backup routes need it.
// Errors are *MatrixError: 401 answers of the homeserver, or UpstreamError.
type Upstream interface {
	// WhoAmI returns the user an access token belongs to.
	WhoAmI(token string) (string, error)
	// KeysQuery returns the /keys/query answer for userID's devices.
	KeysQuery(token, userID string) ([]byte, error)
}

// ErrBodyTooLarge is what Request.ReadBody returns past its limit.
var ErrBodyTooLarge = errors.New("request body too large")

// Request is what the service reads of an HTTP request.
type Request struct {
	Method      string
	EscapedPath string
	RawQuery    string
	// Authorization is the Authorization header ("" when absent).
	Authorization string
	// ReadBody reads the whole body, failing with ErrBodyTooLarge past limit bytes.
	ReadBody func(limit int) ([]byte, error)
}

// Response is the service's answer. Proxy means: send the request upstream
// unchanged. Otherwise Body, or Stream when the answer is long.
type Response struct {
	Status int
	Body   []byte
	Stream *KeyStream
	Proxy  bool
}

// Backends are what one request reaches: handles may be bound to the
// request (workerd ties I/O objects to the request that made them), so the
// host passes them with each request.
type Backends struct {
	// DBs are the databases users are spread over; DBNames their stable names
	// (the hash input), in the same order.
	DBs     []DB
	DBNames []string
	// Upstream is the homeserver.
	Upstream Upstream
	// AuthCache, when set, remembers tokens' users for the whole isolate
	// (shared by its Go instances); otherwise the service's own map does.
	AuthCache AuthCache
}

// AuthCache remembers which user a token (by its SHA-256, hex) belongs to.
type AuthCache interface {
	LookupUser(tokenHash string) (userID string, ok bool)
	RememberUser(tokenHash, userID string, ttl time.Duration)
}

// Config sets up a Service.
type Config struct {
	// MaxBodyBytes bounds a request body (413 M_TOO_LARGE past it).
	MaxBodyBytes int
	// AuthCacheTTL is how long a token's user is remembered.
	AuthCacheTTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service answers backup requests.
type Service struct {
	cfg  Config
	mu   sync.Mutex
	auth map[string]authEntry
}

type authEntry struct {
	userID  string
	expires time.Time
}

// DefaultMaxBodyBytes bounds request bodies when Config leaves it zero.
const DefaultMaxBodyBytes = 16 << 20

// NewService returns a service for cfg.
func NewService(cfg Config) *Service {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, auth: map[string]authEntry{}}
}

// Handle answers one request. A panic becomes a 500 M_UNKNOWN for this
// request only.
func (s *Service) Handle(req Request, b Backends) (resp Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = errorResponse(InternalError())
		}
	}()
	route, ok := ParseRoute(req.Method, req.EscapedPath)
	if !ok {
		return errorResponse(newError(404, ErrUnrecognized, "unrecognized request"))
	}
	if route.Kind == Proxy {
		return Response{Proxy: true}
	}
	if !methodAllowed(route, req.Method) {
		return errorResponse(newError(405, ErrUnrecognized, "unrecognized request"))
	}
	if len(b.DBs) == 0 || len(b.DBs) != len(b.DBNames) {
		return errorResponse(InternalError())
	}
	userID, err := s.authenticate(req, b)
	if err != nil {
		return errorResponse(asMatrixError(err))
	}
	db := b.DBs[ShardIndex(userID, b.DBNames)]
	h := handler{s: s, req: req, route: route, userID: userID, db: db, upstream: b.Upstream}
	resp, err = h.serve()
	if err != nil {
		return errorResponse(asMatrixError(err))
	}
	return resp
}

func methodAllowed(r Route, method string) bool {
	switch r.Kind {
	case Version:
		return method == "GET" || method == "POST"
	default:
		return method == "GET" || method == "PUT" || method == "DELETE"
	}
}

func asMatrixError(err error) *MatrixError {
	var me *MatrixError
	if errors.As(err, &me) {
		return me
	}
	return InternalError()
}

func errorResponse(e *MatrixError) Response { return Response{Status: e.Status, Body: e.JSON()} }

// accessToken reads the token from "Authorization: Bearer" or, as the spec
// still allows, the access_token query parameter.
func accessToken(req Request) string {
	if t, ok := strings.CutPrefix(req.Authorization, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	t, _ := queryParam(req.RawQuery, "access_token")
	return t
}

// authenticate maps the token to its user through the upstream whoami,
// remembering answers for AuthCacheTTL under the token's SHA-256 (the token
// itself is never kept).
func (s *Service) authenticate(req Request, b Backends) (string, error) {
	token := accessToken(req)
	if token == "" {
		return "", newError(401, ErrMissingToken, "missing access token")
	}
	key := sha256.Sum256([]byte(token))
	cache := b.AuthCache
	if cache == nil {
		cache = (*localAuthCache)(s)
	}
	hexKey := hexString(key[:])
	if userID, ok := cache.LookupUser(hexKey); ok {
		return userID, nil
	}
	userID, err := b.Upstream.WhoAmI(token)
	if err != nil {
		return "", err
	}
	cache.RememberUser(hexKey, userID, s.cfg.AuthCacheTTL)
	return userID, nil
}

// localAuthCache is the service's own cache (one Go instance's).
type localAuthCache Service

func (c *localAuthCache) LookupUser(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.auth[key]
	if !ok || !c.cfg.Now().Before(e.expires) {
		return "", false
	}
	return e.userID, true
}

func (c *localAuthCache) RememberUser(key, userID string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.auth) > 10000 {
		c.auth = map[string]authEntry{}
	}
	c.auth[key] = authEntry{userID: userID, expires: c.cfg.Now().Add(ttl)}
}

type handler struct {
	s        *Service
	req      Request
	route    Route
	userID   string
	db       DB
	upstream Upstream
}

func (h handler) serve() (Response, error) {
	switch h.route.Kind {
	case Version:
		if h.req.Method == "POST" {
			return h.createVersion()
		}
		return h.getVersion("")
	case VersionByID:
		switch h.req.Method {
		case "GET":
			return h.getVersion(h.route.VersionID)
		case "PUT":
			return h.updateVersion()
		}
		return h.deleteVersion()
	}
	switch h.req.Method {
	case "GET":
		return h.getKeys()
	case "PUT":
		return h.putKeys()
	}
	return h.deleteKeys()
}

func (h handler) body() ([]byte, error) {
	b, err := h.req.ReadBody(h.s.cfg.MaxBodyBytes)
	if errors.Is(err, ErrBodyTooLarge) {
		return nil, newError(413, ErrTooLarge, "request body is over %d bytes", h.s.cfg.MaxBodyBytes)
	}
	return b, err
}

func okJSON(body []byte) (Response, error) { return Response{Status: 200, Body: body}, nil }

// version looks a version up by id, or the current one when id is "".
func (h handler) version(id string) (versionRow, error) {
	if id == "" {
		rows, err := h.db.Query(Stmt{SQL: sqlCurrentVersion, Args: []any{h.userID}})
		if err != nil {
			return versionRow{}, err
		}
		v, ok := scanVersion(rows)
		if !ok {
			return versionRow{}, notFound("no current backup version")
		}
		return v, nil
	}
	n, ok := parseVersionID(id)
	if !ok {
		return versionRow{}, notFound("unknown backup version")
	}
	rows, err := h.db.Query(Stmt{SQL: sqlVersionByID, Args: []any{h.userID, n}})
	if err != nil {
		return versionRow{}, err
	}
	v, ok := scanVersion(rows)
	if !ok {
		return versionRow{}, notFound("unknown backup version")
	}
	return v, nil
}

func (h handler) getVersion(id string) (Response, error) {
	v, err := h.version(id)
	if err != nil {
		return Response{}, err
	}
	b := []byte(`{"algorithm":`)
	b = appendJSONString(b, v.Algorithm)
	b = append(b, `,"auth_data":`...)
	b = append(b, v.AuthData...)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, v.Count, 10)
	b = append(b, `,"etag":`...)
	b = appendJSONString(b, FormatEtag(v.KeyHash))
	b = append(b, `,"version":`...)
	b = appendJSONString(b, strconv.FormatInt(v.Version, 10))
	return okJSON(append(b, '}'))
}

// checkedAuthData validates a version body's auth_data signature against
// the user's own devices and returns its canonical JSON.
func (h handler) checkedAuthData(vb VersionBody) (string, error) {
	keys, err := h.upstream.KeysQuery(accessToken(h.req), h.userID)
	if err != nil {
		return "", err
	}
	if !SignedByOwnDevice(vb.AuthData, h.userID, keys) {
		return "", invalidParam("auth_data must carry a valid signature by one of your devices")
	}
	out, err := canonicaljson.Encode(vb.AuthData)
	if err != nil {
		return "", invalidParam("auth_data: %v", err)
	}
	return string(out), nil
}

func (h handler) createVersion() (Response, error) {
	body, err := h.body()
	if err != nil {
		return Response{}, err
	}
	vb, merr := ParseVersionBody(body)
	if merr != nil {
		return Response{}, merr
	}
	auth, err := h.checkedAuthData(vb)
	if err != nil {
		return Response{}, err
	}
	rows, err := h.db.Query(Stmt{SQL: sqlCreateVersion, Args: []any{h.userID, vb.Algorithm, auth}})
	if err != nil {
		return Response{}, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return Response{}, InternalError()
	}
	b := appendJSONString([]byte(`{"version":`), strconv.FormatInt(asInt(rows[0][0]), 10))
	return okJSON(append(b, '}'))
}

func (h handler) updateVersion() (Response, error) {
	body, err := h.body()
	if err != nil {
		return Response{}, err
	}
	vb, merr := ParseVersionBody(body)
	if merr != nil {
		return Response{}, merr
	}
	v, err := h.version(h.route.VersionID)
	if err != nil {
		return Response{}, err
	}
	if vb.Version != "" && vb.Version != h.route.VersionID {
		return Response{}, invalidParam("version in body does not match the path")
	}
	if vb.Algorithm != v.Algorithm {
		return Response{}, invalidParam("algorithm cannot be changed")
	}
	auth, err := h.checkedAuthData(vb)
	if err != nil {
		return Response{}, err
	}
	if _, err := h.db.Query(Stmt{SQL: sqlUpdateAuthData, Args: []any{h.userID, v.Version, auth}}); err != nil {
		return Response{}, err
	}
	return okJSON([]byte(`{}`))
}

func (h handler) deleteVersion() (Response, error) {
	v, err := h.version(h.route.VersionID)
	if err != nil {
		return Response{}, err
	}
	// One batch (a transaction): the version goes and its keys with it.
	_, err = h.db.Batch([]Stmt{
		{SQL: sqlMarkVersionDeleted, Args: []any{h.userID, v.Version}},
		{SQL: sqlDeleteVersionKeys, Args: []any{h.userID, v.Version}},
	})
	if err != nil {
		return Response{}, err
	}
	return okJSON([]byte(`{}`))
}

// keysVersion reads the required ?version= of the keys routes.
func (h handler) keysVersion() (versionRow, error) {
	id, ok := queryParam(h.req.RawQuery, "version")
	if !ok {
		return versionRow{}, newError(400, ErrMissingParam, "missing version query parameter")
	}
	if id == "" {
		return versionRow{}, notFound("unknown backup version")
	}
	return h.version(id)
}

func (h handler) wrongVersion() error {
	cur, err := h.version("")
	var me *MatrixError
	if errors.As(err, &me) && me.Code == ErrNotFound {
		return notFound("unknown backup version")
	}
	if err != nil {
		return err
	}
	e := newError(403, ErrWrongKeysVersion, "version is not the current backup version")
	e.Extra = map[string]string{"current_version": strconv.FormatInt(cur.Version, 10)}
	return e
}

func etagCount(count, keyHash int64) []byte {
	b := []byte(`{"count":`)
	b = strconv.AppendInt(b, count, 10)
	b = append(b, `,"etag":`...)
	b = appendJSONString(b, FormatEtag(keyHash))
	return append(b, '}')
}

// putKeys stores keys in one batch and one round trip: the upsert is
// guarded to the current version and the batch's last statement reports
// the version's state, so a stale or unknown version is found after the
// fact, with nothing written.
func (h handler) putKeys() (Response, error) {
	body, err := h.body()
	if err != nil {
		return Response{}, err
	}
	rows, merr := ParseKeysBody(body, h.route.RoomID, h.route.SessionID)
	if merr != nil {
		return Response{}, merr
	}
	id, ok := queryParam(h.req.RawQuery, "version")
	if !ok {
		return Response{}, newError(400, ErrMissingParam, "missing version query parameter")
	}
	version, ok := parseVersionID(id)
	if !ok {
		return Response{}, notFound("unknown backup version")
	}
	stmts := upsertStatements(h.userID, version, rows)
	stmts = append(stmts, Stmt{SQL: sqlVersionState, Args: []any{h.userID, version}})
	state, err := h.db.Batch(stmts)
	if err != nil {
		return Response{}, err
	}
	if len(state) != 1 || len(state[0]) != 3 {
		return Response{}, notFound("unknown backup version")
	}
	if asInt(state[0][2]) != 1 {
		return Response{}, h.wrongVersion()
	}
	return okJSON(etagCount(asInt(state[0][0]), asInt(state[0][1])))
}

func (h handler) deleteKeys() (Response, error) {
	v, err := h.keysVersion()
	if err != nil {
		return Response{}, err
	}
	del := Stmt{SQL: sqlDeleteAllKeys, Args: []any{h.userID, v.Version}}
	switch {
	case h.route.SessionID != "":
		del = Stmt{SQL: sqlDeleteSessionKeys, Args: []any{h.userID, v.Version, h.route.RoomID, h.route.SessionID}}
	case h.route.RoomID != "":
		del = Stmt{SQL: sqlDeleteRoomKeys, Args: []any{h.userID, v.Version, h.route.RoomID}}
	}
	state, err := h.db.Batch([]Stmt{del, {SQL: sqlVersionState, Args: []any{h.userID, v.Version}}})
	if err != nil {
		return Response{}, err
	}
	if len(state) != 1 || len(state[0]) != 3 {
		return Response{}, notFound("unknown backup version")
	}
	return okJSON(etagCount(asInt(state[0][0]), asInt(state[0][1])))
}

func (h handler) getKeys() (Response, error) {
	if h.route.SessionID != "" {
		return h.getSessionKey()
	}
	v, err := h.keysVersion()
	if err != nil {
		return Response{}, err
	}
	return Response{Status: 200, Stream: newKeyStream(h.db, h.userID, v.Version, h.route.RoomID)}, nil
}

// getSessionKey answers GET of one session with one query (the version
// check and the key together): the most frequent backup read.
func (h handler) getSessionKey() (Response, error) {
	id, ok := queryParam(h.req.RawQuery, "version")
	if !ok {
		return Response{}, newError(400, ErrMissingParam, "missing version query parameter")
	}
	n, ok := parseVersionID(id)
	if !ok {
		return Response{}, notFound("unknown backup version")
	}
	rows, err := h.db.Query(Stmt{SQL: sqlVersionAndSession, Args: []any{h.userID, n, h.route.RoomID, h.route.SessionID}})
	if err != nil {
		return Response{}, err
	}
	if len(rows) == 0 {
		return Response{}, notFound("unknown backup version")
	}
	if rows[0][0] == nil {
		return Response{}, notFound("no backed-up key for this session")
	}
	return okJSON([]byte(asString(rows[0][0])))
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
