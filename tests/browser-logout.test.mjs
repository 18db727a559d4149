// Logging out in real Chromium (Debian's, driven by playwright-core):
// device.close() and store.close() close every IndexedDB connection the
// module opened, so indexedDB.deleteDatabase succeeds (not "blocked"),
// deleting under an open device leaves the instance working, and later
// opens work. The Node run is tests/store-logout.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveRepo } from './helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server;
let browser;
let url;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/setup.mjs)`);
  ({ url, server } = await serveRepo('tests/browser/store.html'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('logout: close then deleteDatabase, in Chromium', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('out').textContent === 'ready', null, { timeout: 30_000 });
  const got = await page.evaluate(async () => {
    const within = (ms, p, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))]);
    const del = (name) => within(10_000, new Promise((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = () => resolve('deleted');
      req.onerror = () => reject(req.error);
      req.onblocked = () => resolve('blocked');
    }), 'deleteDatabase');
    const key = () => crypto.getRandomValues(new Uint8Array(32));
    const alive = async () => typeof (await within(10_000, mx.olm.createAccount(), 'an unrelated call')).identityKeys.curve25519;
    const out = {};
    const opts = { userId: '@a:example.org', deviceId: 'A', store: 'keys', dbName: 'logout' };

    const dev = await mx.openDevice({ ...opts, storeKey: key() });
    await dev.keysForUpload();
    await dev.close();
    out.afterClose = await del('logout');
    out.alive1 = await alive();
    const again = await within(10_000, mx.openDevice({ ...opts, storeKey: key() }), 'open after logout');
    out.newAccount = again.identityKeys.curve25519 !== dev.identityKeys.curve25519;
    out.upload = (await again.keysForUpload()) !== null;

    // Deleted under the open device: its connections close on versionchange.
    out.underOpen = await del('logout');
    out.alive2 = await alive();
    try {
      await within(10_000, again.keysForUpload(), 'a call on the deleted store');
      out.callAfterDelete = 'resolved';
    } catch (e) {
      out.callAfterDelete = e.code;
    }
    await again.close();

    const a = await mx.store.open({ name: 'a', backend: 'indexeddb', database: 'logout-store', storeKey: key() });
    const b = await mx.store.open({ name: 'b', backend: 'indexeddb', database: 'logout-store', storeKey: key() });
    await a.close();
    await b.close();
    out.stores = await del('logout-store');
    const c = await within(10_000, mx.store.open({ name: 'a', backend: 'indexeddb', database: 'logout-store', storeKey: key() }), 'store open after logout');
    await c.close();
    out.storesAgain = await del('logout-store');
    return out;
  });
  assert.equal(got.afterClose, 'deleted');
  assert.equal(got.alive1, 'string');
  assert.equal(got.newAccount, true);
  assert.equal(got.upload, true);
  assert.equal(got.underOpen, 'deleted');
  assert.equal(got.alive2, 'string');
  assert.equal(got.callAfterDelete, 'STORE_FAILURE', 'a call on a deleted store');
  assert.equal(got.stores, 'deleted');
  assert.equal(got.storesAgain, 'deleted');
  await context.close();
});
