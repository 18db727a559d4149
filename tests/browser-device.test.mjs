// The device API in a real browser (Debian's Chromium, headless) on
// IndexedDB: set up and back up, then, in a new browser process on the same
// profile, reload the device and restore the backup on a fresh one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveRepo } from './helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

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
  const { url: base, server } = await serveRepo('tests/browser/device.html');
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
