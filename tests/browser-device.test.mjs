// The device API in a real browser (Debian's Chromium, headless) on
// IndexedDB: set up and back up, then, in a new browser process on the same
// profile, reload the device and restore the backup on a fresh one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, extname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Loads url in a headless Chromium with this profile; resolves to the page's CHECK lines. */
function runPage(url, profile) {
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0', url]);
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DONE from the page; got: ${lines.join(' | ')}`)), 100_000);
    let buf = '';
    browser.stderr.on('data', (d) => {
      buf += d;
      for (const m of buf.matchAll(/"CHECK ([^"]*)"/g)) if (!lines.includes(m[1])) lines.push(m[1]);
      if (lines.includes('DONE') || lines.some((l) => l.startsWith('ERROR'))) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
    browser.on('exit', (code) => reject(new Error(`chromium exited (${code}); got: ${lines.join(' | ')}`)));
  }).finally(() => new Promise((resolve) => {
    // The next phase reuses the profile: wait until this browser is gone.
    if (browser.exitCode !== null) return resolve();
    browser.once('exit', resolve);
    browser.kill();
  }));
}

test('the device API in Chromium on IndexedDB: set up, back up, reload, restore', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/setup.mjs)`);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path === '/' ? join(root, 'tests/browser/device.html') : join(root, path);
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
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-chromium-device-'));
  try {
    assert.deepEqual(await runPage(`${base}?phase=1`, profile), ['upload 50 fallback 1', 'backed up 20/20', 'DONE']);
    assert.deepEqual(await runPage(`${base}?phase=2`, profile), [
      'reloaded same identity true',
      'reloaded counts 20/20',
      'nothing to upload true',
      'wrong key -> WRONG_KEY',
      'restored 20 failures 0',
      'decrypted 20',
      'DONE',
    ]);
  } finally {
    server.close();
  }
});
