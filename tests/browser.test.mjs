// The loader and module in a real browser (Debian's Chromium, headless): the
// page at tests/browser/check.html logs each result to the console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveRepo } from './helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

test('the loader works in Chromium: WebCrypto paths, restore workers, panic recovery, restart after exit', { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/setup.mjs)`);
  const { url, server } = await serveRepo('tests/browser/check.html');
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-chromium-'));
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0', url]);
  const lines = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DONE from the page; got: ${lines.join(' | ')}`)), 80_000);
      let buf = '';
      browser.stderr.on('data', (d) => {
        buf += d;
        for (const m of buf.matchAll(/"CHECK ([^"]*)"/g)) if (!lines.includes(m[1])) lines.push(m[1]);
        if (lines.includes('DONE') || lines.some((l) => l.startsWith('ERROR'))) {
          clearTimeout(timer);
          resolve();
        }
      });
      browser.on('exit', (code) => reject(new Error(`chromium exited (${code}); got: ${lines.join(' | ')}`)));
    });
  } finally {
    browser.kill();
    server.close();
  }
  assert.deepEqual(lines, [
    'recovery key ok true',
    'backup roundtrip 1',
    'backup.decrypt paths agree 7/7',
    'decryptMany 50 failures 0',
    'workers 600 same true',
    'pbkdf2 32',
    'ssss check true',
    'megolm hi',
    'panic -> INTERNAL',
    'exit -> INSTANCE_EXITED',
    'after restart 13',
    'DONE',
  ]);
});
