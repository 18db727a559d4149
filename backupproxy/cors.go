package backupproxy

// CORSHeaders are set on every answer the proxy makes itself, the same as
// Synapse sets on its own (synapse/http/server.py, set_cors_headers), so a
// browser client sees no difference between proxied and served routes.
// Preflights (OPTIONS) go upstream and get the homeserver's own.
var CORSHeaders = [][2]string{
	{"Access-Control-Allow-Origin", "*"},
	{"Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS"},
	{"Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization, Date"},
	{"Access-Control-Expose-Headers", "Synapse-Trace-Id, Server"},
}

// ResponseHeaders are the headers of every answer the proxy makes itself.
func ResponseHeaders() [][2]string {
	return append([][2]string{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}, CORSHeaders...)
}
