// Device.restoreBackup's three ways (workers preparing batches, this thread
// preparing them, all in Go) give the same result on a body with broken
// entries, and the keys restored decrypt the room's events.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';

import 'fake-indexeddb/auto'; // the exit test's store must outlive the instance
import { init } from 'mxcrypto';
import { initTest } from './helpers/debug-build.mjs';

const N = 700; // above two worker chunks
const storeKey = new Uint8Array(32).fill(5);
let mx;
let goOnly;
before(async () => {
  [mx, goOnly] = await Promise.all([init(), init({ webCrypto: false })]);
});

const senderKey = 'cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00';
const claimed = { ed25519: '8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY' };

async function backupBody() {
  const { privateKey, publicKey } = await mx.backup.createKey();
  const rooms = {};
  const probes = [];
  for (let i = 0; i < N; i++) {
    const roomId = `!r${i % 9}:example.org`;
    const out = await mx.megolm.createOutboundSession();
    const inbound = await mx.megolm.createInboundSession(await out.sessionKey());
    const sessionData = { algorithm: 'm.megolm.v1.aes-sha2', sender_key: senderKey, sender_claimed_keys: claimed, session_key: await inbound.export(0), forwarding_curve25519_key_chain: [] };
    let sessionId = out.sessionId;
    let encrypted = await mx.backup.encrypt(publicKey, sessionData);
    switch (i) {
      case 5: encrypted = { ...encrypted, mac: 'AAAAAAAAAAA' }; break; // WRONG_KEY
      case 6: encrypted = { ...encrypted, ciphertext: 'not base64!' }; break; // BAD_BASE64
      case 7: encrypted = await mx.backup.encrypt(publicKey, { ...sessionData, algorithm: 'm.megolm.v2' }); break; // UNSUPPORTED_ALGORITHM
      case 8: sessionId = 'AAAA' + sessionId.slice(4); break; // BAD_INPUT: not the key's id
      case 9: encrypted = { ...encrypted, ephemeral: 'AAAA' }; break; // BAD_INPUT
      default:
    }
    (rooms[roomId] ??= { sessions: {} }).sessions[sessionId] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: encrypted };
    if (i % 100 === 0) probes.push({ roomId, event: { event_id: `$${i}`, content: { algorithm: 'm.megolm.v1.aes-sha2', sender_key: senderKey, session_id: out.sessionId, ciphertext: await out.encrypt(JSON.stringify({ type: 'm.room.message', room_id: roomId, content: { body: `probe ${i}` } })) } }, body: `probe ${i}` });
  }
  return { privateKey, publicKey, body: { rooms }, probes };
}

test('workers, this thread and Go alone restore the same keys and count the same failures', async () => {
  const { privateKey, publicKey, body, probes } = await backupBody();
  const want = { total: N, imported: N - 5, skipped: 0, failures: { WRONG_KEY: 1, BAD_BASE64: 1, UNSUPPORTED_ALGORITHM: 1, BAD_INPUT: 2 } };
  for (const [name, lib, opts] of [['go only', goOnly, {}], ['this thread', mx, { workers: 0 }], ['workers', mx, { workers: 2 }], ['workers, slices of 100', mx, { workers: 2, _workerSlice: 100 }]]) {
    const device = await lib.openDevice({ userId: '@a:example.org', deviceId: 'D', store: `restore-${name}`, backend: 'memory', storeKey });
    await device.enableBackup({ version: '1', publicKey });
    const stages = new Map();
    const res = await device.restoreBackup(privateKey, body, { ...opts, onProgress: (stage, done, total) => stages.set(stage, [done, total]) });
    assert.deepEqual(res, want, name);
    assert.deepEqual(await device.roomKeyCounts(), { total: N - 5, backedUp: N - 5 }, name);
    assert.deepEqual(stages.get('store'), [N - 5, N - 5], name);
    if (name !== 'go only') assert.deepEqual(stages.get('decrypt'), [N, N], name);
    for (const p of probes) {
      const re = await device.decryptRoomEvent(p.roomId, p.event);
      assert.equal(re.content.body, p.body, name);
    }
    // Again: every key is held already.
    assert.deepEqual(await device.restoreBackup(privateKey, body, opts), { ...want, imported: 0, skipped: N - 5 }, `${name}, again`);
    await device.close();
  }
});

test('a restore that fails part way stores nothing and leaves the device usable', async () => {
  const { privateKey, publicKey, body } = await backupBody();
  const device = await mx.openDevice({ userId: '@a:example.org', deviceId: 'D', store: 'restore-fails', backend: 'memory', storeKey });
  await device.enableBackup({ version: '1', publicKey });
  const boom = new Error('progress handler failed');
  await assert.rejects(device.restoreBackup(privateKey, body, { workers: 2, onProgress: (stage, done) => { if (stage === 'decrypt' && done > 300) throw boom; } }), (e) => e.code === 'BAD_INPUT' && e.cause === boom);
  await assert.rejects(device.restoreBackup(privateKey, { rooms: null }), (e) => e.code === 'BAD_INPUT');
  assert.deepEqual(await device.roomKeyCounts(), { total: 0, backedUp: 0 });
  assert.equal((await device.restoreBackup(privateKey, body, { workers: 0 })).imported, N - 5);
  await device.close();
});

test('an instance exit during a restore fails it with INSTANCE_EXITED; the device carries on', async () => {
  const { privateKey, publicKey, body } = await backupBody();
  const lib = await initTest();
  const device = await lib.openDevice({ userId: '@a:example.org', deviceId: 'D', store: 'restore-exit', backend: 'indexeddb', dbName: 'restore-exit-test', storeKey });
  await device.enableBackup({ version: '1', publicKey });
  let exited = false;
  const onProgress = (stage) => {
    if (stage === 'decrypt' && !exited) {
      exited = true;
      lib._debug.exit(3).catch(() => {});
    }
  };
  await assert.rejects(device.restoreBackup(privateKey, body, { workers: 0, onProgress }), (e) => e.code === 'INSTANCE_EXITED');
  assert.deepEqual(await device.roomKeyCounts(), { total: 0, backedUp: 0 });
  assert.equal((await device.restoreBackup(privateKey, body, { workers: 0 })).imported, N - 5);
  await device.close();
});
