// The store's JS API over real files (the fs backend, Node only).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initTest } from './helpers/debug-build.mjs';
import { storeSuite } from './helpers/store-suite.mjs';

const mx = await initTest();
const dir = mkdtempSync(join(tmpdir(), 'mxstore-js-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storeSuite(mx, 'fs', () => ({ backend: 'fs', path: dir }));

const key = new Uint8Array(32).fill(1);

test('fs: a relative path is resolved against the working directory; files are sealed', async () => {
  const s = await mx.store.open({ name: 'rel', backend: 'fs', path: relative(process.cwd(), dir), storeKey: key });
  await s.put('secret', 'm.megolm_backup.v1', new TextEncoder().encode('very secret value'));
  await s.close();
  const files = readdirSync(join(dir, 'rel')).sort();
  assert.deepEqual(files, ['KEY', 'MANIFEST.0', 'MANIFEST.1']);
  for (const f of files) {
    const raw = readFileSync(join(dir, 'rel', f));
    assert.equal(raw.subarray(0, 4).toString(), f === 'KEY' ? 'MXSK' : 'MXSM');
    assert.ok(!raw.includes('very secret value') && !raw.includes('m.megolm_backup.v1'), `${f} holds the secret in clear`);
  }
});

test('fs: a newer format is STORE_VERSION, a path that is a file is STORE_FAILURE', async () => {
  const s = await mx.store.open({ name: 'ver', backend: 'fs', path: dir, storeKey: key });
  await s.put('account', [], new Uint8Array([1]));
  await s.close();
  for (const slot of ['MANIFEST.0', 'MANIFEST.1']) {
    const file = join(dir, 'ver', slot);
    const raw = readFileSync(file);
    raw.writeUInt16BE(99, 4);
    writeFileSync(file, raw);
  }
  await assert.rejects(mx.store.open({ name: 'ver', backend: 'fs', path: dir, storeKey: key }),
    (e) => e.code === 'STORE_VERSION' && /format version 99/.test(e.message));

  writeFileSync(join(dir, 'plain-file'), 'x');
  await assert.rejects(mx.store.open({ name: 'inside', backend: 'fs', path: join(dir, 'plain-file'), storeKey: key }),
    (e) => e.code === 'STORE_FAILURE');
});
