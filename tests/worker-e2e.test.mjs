// End to end through the backup Worker: a client using mxcrypto's device API
// backs up its room keys through the Worker (createBackupVersion,
// enableBackup, nextBackupBatch, markBackedUp), and a new login restores 100%
// of them through it and decrypts every message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { KEYS, VERSION, startStack } from './helpers/backup-worker.mjs';

let stack;
before(async () => { stack = await startStack(); }, { timeout: 180000 });
after(async () => { await stack?.stop(); });

test('back up through the Worker, restore on a new login through it', { timeout: 300000 }, async () => {
  const alice = await stack.user('alice');
  const ROOMS = 40;
  const events = [];
  for (let i = 0; i < ROOMS; i++) {
    const roomId = `!e2e${i}:localhost`;
    for (let m = 0; m < 2; m++) {
      const enc = await alice.device.encryptRoomEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: `hello ${i}.${m}` });
      events.push({ roomId, text: `hello ${i}.${m}`, event: { type: 'm.room.encrypted', event_id: `$e${i}_${m}`, sender: alice.userId, origin_server_ts: Date.now(), room_id: roomId, content: enc.content } });
    }
  }
  const { total } = await alice.device.roomKeyCounts();
  assert.equal(total, ROOMS);

  const created = await alice.device.createBackupVersion();
  const v = await alice.call('POST', VERSION, created.body);
  assert.equal(v.status, 200, v.text);
  await alice.device.enableBackup({ version: v.json.version, publicKey: created.publicKey });
  let uploads = 0;
  for (;;) {
    const batch = await alice.device.nextBackupBatch(7);
    if (!batch) break;
    const r = await alice.call('PUT', `${KEYS}?version=${batch.version}`, batch.body);
    assert.equal(r.status, 200, r.text);
    await alice.device.markBackedUp(batch);
    uploads++;
  }
  assert.equal(uploads, Math.ceil(ROOMS / 7));
  assert.deepEqual(await alice.device.roomKeyCounts(), { total: ROOMS, backedUp: ROOMS });
  const info = await alice.call('GET', VERSION);
  assert.equal(info.json.count, ROOMS);

  // A new login: a fresh device, the recovery key, everything through the Worker.
  const login = await stack.hs.login('alice', alice.password, { deviceId: 'NEWPHONE' });
  const phone = await stack.mx.openDevice({ userId: alice.userId, deviceId: 'NEWPHONE', store: 'e2e-phone', backend: 'memory', storeKey: randomBytes(32) });
  const latest = await fetch(`${stack.url}${VERSION}`, { headers: { Authorization: `Bearer ${login.accessToken}` } }).then((r) => r.json());
  assert.equal(latest.version, v.json.version);
  const trust = await phone.verifyBackupAuthData(latest, null);
  assert.equal(trust.publicKey, created.publicKey);
  await phone.enableBackup({ version: latest.version, publicKey: trust.publicKey });
  const body = await fetch(`${stack.url}${KEYS}?version=${latest.version}`, { headers: { Authorization: `Bearer ${login.accessToken}` } }).then((r) => r.json());
  const result = await phone.restoreBackup(created.recoveryKey, body);
  assert.equal(result.total, ROOMS);
  assert.equal(result.imported, ROOMS);
  assert.deepEqual(result.failures, {});
  for (const e of events) {
    const d = await phone.decryptRoomEvent(e.roomId, e.event);
    assert.equal(d.content.body, e.text);
    assert.equal(d.imported, true);
  }
});
