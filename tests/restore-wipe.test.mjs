// What restores and decryptMany say they wipe is wiped: the X25519 shared
// secrets node:crypto hands back, and prepared batches (decrypted room keys)
// that arrive after a restore failed. And an onProgress that throws fails a
// decryptMany spread over workers, rather than being retried on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';

// Watch node:crypto's X25519 results and the messages of worker threads,
// before the library imports either.
const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto');
const threads = require('node:worker_threads');
const sharedSecrets = [];
const realDiffieHellman = nodeCrypto.diffieHellman;
nodeCrypto.diffieHellman = (options) => {
  const out = realDiffieHellman(options);
  sharedSecrets.push(out);
  return out;
};
const seenBatches = [];
threads.Worker = class extends threads.Worker {
  on(event, fn) {
    if (event !== 'message') return super.on(event, fn);
    return super.on(event, (m) => {
      if (m?.batch) seenBatches.push(m.batch);
      fn(m);
    });
  }
};
syncBuiltinESMExports();

const { init } = await import('mxcrypto');
const mx = await init();

const N = 700;
const storeKey = new Uint8Array(32).fill(7);
const senderKey = 'cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00';
const claimed = { ed25519: '8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY' };

const { privateKey, publicKey } = await mx.backup.createKey();
const rooms = {};
for (let i = 0; i < N; i++) {
  const out = await mx.megolm.createOutboundSession();
  const inbound = await mx.megolm.createInboundSession(await out.sessionKey());
  const sessionData = { algorithm: 'm.megolm.v1.aes-sha2', sender_key: senderKey, sender_claimed_keys: claimed, session_key: await inbound.export(0), forwarding_curve25519_key_chain: [] };
  (rooms[`!r${i % 7}:example.org`] ??= { sessions: {} }).sessions[out.sessionId] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: await mx.backup.encrypt(publicKey, sessionData) };
}
const body = { rooms };
const allZero = (b) => b.every((x) => x === 0);

test('the shared secrets of a restore on this thread are wiped', async () => {
  sharedSecrets.length = 0;
  const device = await mx.openDevice({ userId: '@a:example.org', deviceId: 'D', store: 'wipe-1', backend: 'memory', storeKey });
  await device.enableBackup({ version: '1', publicKey });
  const res = await device.restoreBackup(privateKey, body, { workers: 0 });
  assert.equal(res.imported, N);
  assert.ok(sharedSecrets.length >= N);
  assert.equal(sharedSecrets.filter((b) => !allZero(b)).length, 0, 'shared secrets left in memory');
  await device.close();
});

test('the shared secrets of decryptMany on this thread are wiped', async () => {
  sharedSecrets.length = 0;
  const { sessions } = await mx.backup.decryptMany(privateKey, body, { workers: 0 });
  assert.equal(sessions.length, N);
  assert.ok(sharedSecrets.length >= N);
  assert.equal(sharedSecrets.filter((b) => !allZero(b)).length, 0, 'shared secrets left in memory');
});

test('prepared batches that arrive after a restore failed are wiped', async () => {
  seenBatches.length = 0;
  const device = await mx.openDevice({ userId: '@a:example.org', deviceId: 'D', store: 'wipe-2', backend: 'memory', storeKey });
  await device.enableBackup({ version: '1', publicKey });
  // Closing the device fails the first batch handed over; the workers go on.
  await assert.rejects(
    device.restoreBackup(privateKey, body, { workers: 2, _workerSlice: 50, onProgress: () => { device.close(); } }),
    { code: 'CLOSED' },
  );
  assert.ok(seenBatches.length > 2, `${seenBatches.length} batches`);
  assert.equal(seenBatches.filter((b) => !allZero(b)).length, 0, 'prepared batches left in memory');
});

test('an onProgress that throws fails decryptMany in workers', async () => {
  let calls = 0;
  const failure = new Error('progress bar broke');
  await assert.rejects(
    mx.backup.decryptMany(privateKey, body, {
      workers: 2,
      onProgress: () => {
        if (calls++ === 0) throw failure;
      },
    }),
    (e) => e.code === 'BAD_INPUT' && e.cause === failure,
  );
});
