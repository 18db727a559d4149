// Two mxcrypto runtimes (two wasm instances) in one Node process writing
// one store at once: the store's lock must be process-wide, not per
// instance, or one instance's commit drops the other's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init } from 'mxcrypto';

const dir = mkdtempSync(join(tmpdir(), 'mxstore-two-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('two runtimes in one process writing one fs store at once lose no write', async () => {
  const runtimes = [await init(), await init()];
  const opts = { name: 'shared', backend: 'fs', path: dir, storeKey: new Uint8Array(32).fill(4) };
  const stores = await Promise.all(runtimes.map((mx) => mx.store.open(opts)));
  const N = 40;
  await Promise.all(stores.map(async (s, t) => {
    for (let i = 0; i < N; i++) await s.put('value', `r${t}-${i}`, new Uint8Array([t, i]));
  }));
  const missing = [];
  for (const t of [0, 1]) {
    for (let i = 0; i < N; i++) {
      const v = await stores[1 - t].get('value', `r${t}-${i}`);
      if (!v || v[0] !== t || v[1] !== i) missing.push(`r${t}-${i}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.equal(await stores[0].generation(), 2 * N);
  await Promise.all(stores.map((s) => s.close()));
});
