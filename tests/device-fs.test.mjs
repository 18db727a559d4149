// openDevice's fs backend (Node): the device's store lives in files under a
// directory, so a restarted process finds the same account.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadMx } from './helpers/peers.mjs';

test('openDevice backend fs keeps the device across processes', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mxcrypto-device-fs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mx = await loadMx();
  const storeKey = new Uint8Array(32).fill(7);
  const opts = { userId: '@a:example.org', deviceId: 'FSDEV', store: 'dev', backend: 'fs', path: dir, storeKey };
  const d = await mx.openDevice(opts);
  const keys = d.identityKeys;
  await d.close();
  assert.ok(readdirSync(dir).length > 0, 'the store wrote files');
  // Another process opens the same files.
  const script = `import { init } from ${JSON.stringify(new URL('../dist/index.mjs', import.meta.url).href)};
    const mx = await init();
    const d = await mx.openDevice({ ...${JSON.stringify({ ...opts, storeKey: undefined })}, storeKey: new Uint8Array(32).fill(7) });
    console.log(JSON.stringify(d.identityKeys)); await d.close();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), keys);
  await assert.rejects(mx.openDevice({ ...opts, path: dir, storeKey: new Uint8Array(32).fill(8) }), (e) => e.code === 'WRONG_KEY');
});
