// The loader compiles a fetched module with WebAssembly.compileStreaming when
// the server says application/wasm (what lets browsers stream and cache the
// compile), and from bytes for any other Content-Type, which
// compileStreaming would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { init } from 'mxcrypto';

const wasm = readFileSync(new URL('../dist/mxcrypto.wasm', import.meta.url));

test('URL and Response sources: streaming for application/wasm, bytes otherwise', { timeout: 60_000 }, async () => {
  const server = createServer((req, res) => {
    const type = { '/wasm': 'application/wasm', '/octet': 'application/octet-stream', '/params': 'application/wasm; charset=binary' }[req.url];
    if (!type) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': type }).end(wasm);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const original = WebAssembly.compileStreaming;
  let streamed = 0;
  WebAssembly.compileStreaming = (...args) => { streamed++; return original(...args); };
  try {
    const cases = [
      [`${base}/wasm`, 1],
      [`${base}/octet`, 0],
      [`${base}/params`, 0],
      [await fetch(`${base}/wasm`), 1],
      [await fetch(`${base}/octet`), 0],
    ];
    for (const [source, wantStreamed] of cases) {
      const before = streamed;
      const mx = await init({ wasm: source });
      const key = await mx.backup.createKey();
      assert.equal(key.privateKey.length, 32);
      assert.equal(streamed - before, wantStreamed, `${source.url ?? source}`);
    }
    await assert.rejects(init({ wasm: `${base}/missing` }), (e) => e.code === 'NOT_LOADED');
  } finally {
    WebAssembly.compileStreaming = original;
    server.close();
  }
});
