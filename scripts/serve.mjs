// Serves the web page (dist/web, built by scripts/build.mjs) on 127.0.0.1,
// with mxcrypto's loader and module (dist/) under /mxcrypto/, and
// /config.json telling the page its default homeserver.
//
//   node scripts/serve.mjs [--port P] [--homeserver URL]
//
// Headers: application/wasm (streaming compilation), a CSP that allows only
// what Go wasm needs beyond 'self' ('wasm-unsafe-eval', and connect-src for
// the homeserver), and cache headers: the HTML, boot script and config are
// revalidated every time (ETag), the rest cached for an hour and revalidated.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(root, 'dist');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain; charset=utf-8',
};
const ALWAYS_REVALIDATE = new Set(['/', '/index.html', '/boot.mjs', '/config.json']);

/** The CSP: scripts and workers only from this origin, wasm compilation allowed, fetch to the homeserver. */
export function contentSecurityPolicy(homeserverUrl) {
  const connect = ["'self'", homeserverUrl && new URL(homeserverUrl).origin].filter(Boolean).join(' ');
  return [
    "default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", `connect-src ${connect}`,
    "style-src 'self'", "img-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; ');
}

/** Resolves a URL path to a file under dist/web or (/mxcrypto/…) dist/, or null. */
function fileFor(path) {
  const [base, rel] = path.startsWith('/mxcrypto/') ? [dist, path.slice('/mxcrypto/'.length)] : [join(dist, 'web'), path === '/' ? 'index.html' : path.slice(1)];
  const file = normalize(join(base, rel));
  if (!file.startsWith(base + sep) || rel.includes('\0')) return null;
  if (base === dist && !/^[\w.-]+\.(mjs|wasm|js|d\.ts)$/.test(rel)) return null; // only the loader's own files
  return file;
}

/**
 * Starts the server. Resolves to { url, port, server, close() }.
 * port 0 picks a free one.
 */
export async function startPageServer({ port = 0, homeserverUrl = '' } = {}) {
  const csp = contentSecurityPolicy(homeserverUrl);
  const config = Buffer.from(JSON.stringify({ homeserverUrl }));
  const cache = new Map(); // file → { body, gz, etag }
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, { allow: 'GET, HEAD' }).end();
    let entry;
    if (path === '/config.json') {
      entry = { body: config, etag: `"${createHash('sha256').update(config).digest('base64url').slice(0, 16)}"` };
    } else {
      const file = fileFor(path);
      if (!file) return res.writeHead(404).end();
      try {
        const body = await readFile(file);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
        entry = cache.get(file);
        if (entry?.etag !== etag) cache.set(file, (entry = { body, etag }));
      } catch {
        return res.writeHead(404).end();
      }
    }
    const headers = {
      'content-type': TYPES[extname(path === '/' ? 'x.html' : path)] ?? 'application/octet-stream',
      'cache-control': ALWAYS_REVALIDATE.has(path) ? 'no-cache' : 'public, max-age=3600, must-revalidate',
      etag: entry.etag,
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    };
    if (req.headers['if-none-match'] === entry.etag) return res.writeHead(304, headers).end();
    let body = entry.body;
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && body.length > 1024) {
      entry.gz ??= gzipSync(body, { level: 6 });
      body = entry.gz;
      headers['content-encoding'] = 'gzip';
      headers.vary = 'accept-encoding';
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return { url: `http://127.0.0.1:${actual}/`, port: actual, server, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const args = process.argv.slice(2);
  const opt = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
  const s = await startPageServer({ port: Number(opt('port') ?? 8080), homeserverUrl: opt('homeserver') ?? '' });
  console.log(`page at ${s.url}`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
