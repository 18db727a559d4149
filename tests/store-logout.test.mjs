// Logging out: device.close() (and store.close()) close every IndexedDB
// connection the module opened, so indexedDB.deleteDatabase completes
// (not "blocked"), nothing runs Go code that waits on the event loop from
// inside the versionchange event (that deadlocked the runtime: "all
// goroutines are asleep"), and later opens work. fake-indexeddb here; the
// same flow runs in Chromium in tests/browser-store.test.mjs.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { init } from 'mxcrypto';

const mx = await init();

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function deleteDatabase(name) {
  return within(10_000, new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve('deleted');
    req.onerror = () => reject(req.error);
    req.onblocked = () => resolve('blocked');
  }), `deleteDatabase(${name})`);
}

// An unrelated call that must still complete: the instance is alive.
async function alive() {
  const acct = await within(10_000, mx.olm.createAccount(), 'an unrelated call');
  assert.equal(typeof acct.identityKeys.curve25519, 'string');
}

test('device.close() then deleteDatabase completes, and a new device opens', async () => {
  const dbName = 'logout-device';
  const opts = { userId: '@a:example.org', deviceId: 'A', store: 'keys', dbName };
  const dev = await mx.openDevice({ ...opts, storeKey: randomBytes(32) });
  assert.ok(await dev.keysForUpload());
  await dev.close();
  assert.equal(await deleteDatabase(dbName), 'deleted');
  await alive();
  const again = await within(10_000, mx.openDevice({ ...opts, storeKey: randomBytes(32) }), 'open after logout');
  assert.notEqual(again.identityKeys.curve25519, dev.identityKeys.curve25519, 'a new account in the new database');
  assert.ok(await again.keysForUpload());
  await again.close();
  assert.equal(await deleteDatabase(dbName), 'deleted');
});

test('store.close() then deleteDatabase completes; two stores in one database', async () => {
  const database = 'logout-store';
  const a = await mx.store.open({ name: 'a', backend: 'indexeddb', database, storeKey: randomBytes(32) });
  const b = await mx.store.open({ name: 'b', backend: 'indexeddb', database, storeKey: randomBytes(32) });
  await a.close();
  await b.close();
  assert.equal(await deleteDatabase(database), 'deleted');
  const c = await within(10_000, mx.store.open({ name: 'a', backend: 'indexeddb', database, storeKey: randomBytes(32) }), 'open after logout');
  await c.close();
  assert.equal(await deleteDatabase(database), 'deleted');
});

test('deleting the database under an open device does not hang the instance', async () => {
  const dbName = 'logout-open';
  const opts = { userId: '@b:example.org', deviceId: 'B', store: 'keys', dbName };
  const dev = await mx.openDevice({ ...opts, storeKey: randomBytes(32) });
  // The module's connections close on versionchange, so the delete goes through.
  assert.equal(await deleteDatabase(dbName), 'deleted');
  await alive();
  await assert.rejects(within(10_000, dev.keysForUpload(), 'a call on the deleted store'), (e) => typeof e.code === 'string' && e.code !== 'INTERNAL');
  await dev.close();
  const again = await within(10_000, mx.openDevice({ ...opts, storeKey: randomBytes(32) }), 'open after the delete');
  await again.close();
  assert.equal(await deleteDatabase(dbName), 'deleted');
});
