// The store's JS API over the memory backend (one filesystem per instance).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTest } from './helpers/debug-build.mjs';
import { storeSuite } from './helpers/store-suite.mjs';

const mx = await initTest();
storeSuite(mx, 'memory', () => ({ backend: 'memory' }), { persistent: false });

test('indexeddb backend without an IndexedDB in the host: STORE_FAILURE', async () => {
  assert.equal(globalThis.indexedDB, undefined);
  await assert.rejects(mx.store.open({ name: 'x', backend: 'indexeddb', storeKey: new Uint8Array(32) }),
    (e) => e.code === 'STORE_FAILURE' && /IndexedDB is not available/.test(e.message));
});
