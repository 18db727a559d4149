// Handles after a restart of the wasm instance (issue 11 §3). Go keeps open
// stores, devices, backup batches and restores in one table under random
// handles; a handle from before a restart names nothing in the new instance,
// so the object reopens its own store or rejects. It never reaches another
// object: with counted handles, Alice's device ran its calls on Carol's,
// the first device opened after the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTest } from './helpers/debug-build.mjs';

const mx = await initTest();
const storeKey = new Uint8Array(32).fill(4);
const dir = await mkdtemp(join(tmpdir(), 'mxcrypto-handles-'));
test.after(() => rm(dir, { recursive: true, force: true }));

const restart = () => assert.rejects(mx._debug.exit(3), (e) => e.code === 'INSTANCE_EXITED');

test("after a restart, Alice's device reopens her own store and never answers with Carol's keys", async () => {
  const alice = await mx.openDevice({ userId: '@alice:example.org', deviceId: 'ALICE', store: 'alice', backend: 'fs', path: dir, storeKey });
  const aliceKeys = alice.identityKeys;
  await restart();
  // Carol is the first device the new instance opens.
  const carol = await mx.openDevice({ userId: '@carol:example.org', deviceId: 'CAROL', store: 'carol', backend: 'fs', path: dir, storeKey });
  assert.notEqual(carol.identityKeys.ed25519, aliceKeys.ed25519);
  const body = await alice.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
  assert.equal(body.device_keys.user_id, '@alice:example.org');
  assert.equal(body.device_keys.device_id, 'ALICE');
  assert.equal(body.device_keys.keys['ed25519:ALICE'], aliceKeys.ed25519);
  assert.equal(body.device_keys.keys['curve25519:ALICE'], aliceKeys.curve25519);
  // And Carol is still Carol.
  const carolBody = await carol.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
  assert.equal(carolBody.device_keys.keys['ed25519:CAROL'], carol.identityKeys.ed25519);
  await alice.close();
  await carol.close();
});

test('after a restart, a device on a memory store rejects with INSTANCE_EXITED instead of reaching another device', async () => {
  const alice = await mx.openDevice({ userId: '@alice:example.org', deviceId: 'MEM', store: 'alice-memory', backend: 'memory', storeKey });
  await restart();
  const carol = await mx.openDevice({ userId: '@carol:example.org', deviceId: 'CAROL2', store: 'carol-memory', backend: 'memory', storeKey });
  await assert.rejects(alice.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] }), (e) => e.code === 'INSTANCE_EXITED');
  await assert.rejects(alice.roomKeyCounts(), (e) => e.code === 'INSTANCE_EXITED');
  assert.ok(await carol.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] }));
  await carol.close();
});

test('after a restart, a store handle reopens its own store, not the store opened first in the new instance', async () => {
  const a = await mx.store.open({ name: 'store-a', backend: 'fs', path: dir, storeKey });
  assert.equal(a.name, 'store-a');
  assert.equal(a.backend, 'fs');
  await a.put('value', 'who', new TextEncoder().encode('a'));
  await restart();
  const b = await mx.store.open({ name: 'store-b', backend: 'fs', path: dir, storeKey });
  await b.put('value', 'who', new TextEncoder().encode('b'));
  assert.equal(new TextDecoder().decode(await a.get('value', 'who')), 'a');
  assert.equal(new TextDecoder().decode(await b.get('value', 'who')), 'b');
  await a.close();
  await b.close();
});

test('a backup batch from before a restart is refused, never taken for a batch of the new instance', async () => {
  const alice = await mx.openDevice({ userId: '@alice:example.org', deviceId: 'BATCH', store: 'alice-batch', backend: 'fs', path: dir, storeKey });
  const version = await alice.createBackupVersion();
  await alice.enableBackup({ version: '1', publicKey: version.auth_data?.public_key ?? version.publicKey });
  await alice.encryptRoomEvent('!a:example.org', 'm.room.message', { body: 'one' });
  const old = await alice.nextBackupBatch(10);
  assert.equal(old.count, 1);
  await restart();
  const fresh = await alice.nextBackupBatch(10);
  assert.equal(fresh.count, 1);
  await assert.rejects(alice.markBackedUp(old), (e) => e.code === 'BAD_INPUT');
  assert.deepEqual(await alice.roomKeyCounts(), { total: 1, backedUp: 0 });
  await alice.markBackedUp(fresh);
  assert.deepEqual(await alice.roomKeyCounts(), { total: 1, backedUp: 1 });
  await alice.close();
});
