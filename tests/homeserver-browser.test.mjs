// mx.connect in a real browser (Debian's Chromium, headless): the page logs
// in with a token, keeps its keys in IndexedDB, syncs with fetch against
// Synapse (cross-origin, through the fault proxy) and chats in an encrypted
// room with a matrix-sdk-crypto-wasm client driven by this test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { serveRepo } from './helpers/static-server.mjs';
import { synapseFixture } from './helpers/synapse-fixture.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

/** Starts Chromium on url; onLine(line) sees each CHECK line as it comes. Resolves to kill(). */
function startBrowser(url, profile, onLine) {
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0', url]);
  const seen = new Set();
  let buf = '';
  browser.stderr.on('data', (d) => {
    buf += d;
    for (const m of buf.matchAll(/"CHECK ([^"]*)"/g)) {
      if (seen.has(m[1])) continue;
      seen.add(m[1]);
      onLine(m[1]);
    }
  });
  const exited = new Promise((resolve) => browser.once('exit', resolve));
  return async () => {
    if (browser.exitCode === null) browser.kill('SIGKILL');
    await exited;
  };
}

test('mx.connect in Chromium chats with a Rust client through Synapse', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/setup.mjs)`);
  const web = await fx.login('web');
  const carol = await fx.rust('carol');
  await carol.sync();
  const { url: base, server } = await serveRepo('tests/browser/connect.html');
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-chromium-connect-'));
  const lines = [];
  let onRoom;
  let done;
  const roomP = new Promise((r) => { onRoom = r; });
  const doneP = new Promise((r) => { done = r; });
  const q = new URLSearchParams({ hs: fx.proxy.baseUrl, token: web.accessToken, invite: carol.userId });
  const kill = startBrowser(`${base}?${q}`, profile, (line) => {
    lines.push(line);
    if (line.startsWith('room ')) onRoom(line.slice(5));
    if (line === 'DONE' || line.startsWith('ERROR')) done();
  });
  try {
    const roomId = await Promise.race([roomP, doneP.then(() => { throw new Error(`page ended early: ${lines.join(' | ')}`); })]);
    await carol.syncUntil((c) => c.invites.has(roomId), { what: 'the invite from the browser' });
    await carol.join(roomId);
    await carol.sendMessage(roomId, { msgtype: 'm.text', body: 'ready' });
    const hello = await carol.waitForMessage(roomId, (e) => e.content.body === 'hello from the browser');
    assert.equal(hello.sender, web.userId);
    await carol.sendMessage(roomId, { msgtype: 'm.text', body: 'reply from rust' });
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no DONE: ${lines.join(' | ')}`)), 120_000); });
    await Promise.race([doneP, timeout]).finally(() => clearTimeout(timer));
    assert.deepEqual(lines.filter((l) => !l.startsWith('room ')), [`connected ${web.deviceId}`, `reply from ${carol.deviceId}`, 'DONE']);
    // The browser's traffic went through the proxy, encrypted.
    assert.ok(fx.proxy.log.some((e) => e.token === web.accessToken && /\/send\/m\.room\.encrypted\//.test(e.path)));
  } finally {
    await kill();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
});
