// A static HTTP server over the repository for the Chromium tests and the
// restore benchmark: "/" is the given page, `routes` adds generated
// responses, and nothing outside the repository is served.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Starts serving; resolves to { url, server } with url ending in "/". */
export async function serveRepo(page, routes = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (Object.hasOwn(routes, path)) return res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(routes[path]);
    const file = path === '/' ? join(root, page) : join(root, path);
    if (!file.startsWith(root)) return res.writeHead(403).end();
    let body;
    try {
      body = await readFile(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, server };
}
