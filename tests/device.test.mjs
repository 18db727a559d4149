// The device API end to end in Node: devices exchange to-device and room
// messages through a toy key server, one device's one-time keys run out
// and its fallback key is used and rotated, a replay is refused, room keys
// are backed up in batches and restored on a fresh device over IndexedDB
// (fake-indexeddb), and key export files round-trip.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';
import { initTest } from './helpers/debug-build.mjs';

const mx = await initTest();
const storeKey = new Uint8Array(32).fill(9);
let seq = 0;

const open = (userId, deviceId, extra = {}) =>
  mx.openDevice({ userId, deviceId, store: `s${++seq}`, backend: 'memory', storeKey, ...extra });

/** A key server: /keys/upload, /keys/query, /keys/claim and /sync counts. */
class Server {
  devices = new Map(); // "user|device" → device keys
  otks = new Map();
  fallback = new Map();

  async sync(d) {
    const id = `${d.userId}|${d.deviceId}`;
    const otks = this.otks.get(id) ?? [];
    const fb = this.fallback.get(id);
    const body = await d.keysForUpload({
      oneTimeKeyCounts: { signed_curve25519: otks.length },
      unusedFallbackKeyTypes: fb && !fb.used ? ['signed_curve25519'] : [],
    });
    if (body === null) return false;
    if (body.device_keys) this.devices.set(id, body.device_keys);
    for (const [name, obj] of Object.entries(body.one_time_keys ?? {})) otks.push([name, obj]);
    this.otks.set(id, otks);
    for (const [name, obj] of Object.entries(body.fallback_keys ?? {})) this.fallback.set(id, { name, obj, used: false });
    await d.markKeysUploaded({ one_time_key_counts: { signed_curve25519: otks.length } });
    return true;
  }

  query(userId) {
    const devs = {};
    for (const [id, keys] of this.devices) {
      const [u, d] = id.split('|');
      if (u === userId) devs[d] = keys;
    }
    return { device_keys: { [userId]: devs }, failures: {} };
  }

  claim(userId, deviceId) {
    const id = `${userId}|${deviceId}`;
    let key;
    const otks = this.otks.get(id) ?? [];
    if (otks.length > 0) key = otks.shift();
    else {
      const fb = this.fallback.get(id);
      fb.used = true;
      key = [fb.name, fb.obj];
    }
    return { one_time_keys: { [userId]: { [deviceId]: { [key[0]]: key[1] } } }, failures: {} };
  }

  async connect(a, b) {
    const r = await a.createOutboundSessions(this.query(b.userId), this.claim(b.userId, b.deviceId));
    assert.equal(r.failures.length, 0, JSON.stringify(r.failures));
    assert.equal(r.sessions.length, 1);
    return r.sessions[0];
  }
}

const toDevice = (from, content) => ({ type: 'm.room.encrypted', sender: from.userId, content });

async function share(from, roomKey, ...to) {
  for (const d of to) {
    const enc = await from.encryptToDevice(d, 'm.room_key', roomKey);
    const ev = await d.decryptToDevice(toDevice(from, enc));
    assert.equal(ev.type, 'm.room_key');
    assert.equal(await d.importRoomKey(ev.content, { kind: ev.type, senderKey: ev.senderKey, senderEd25519: ev.senderEd25519 }), 'imported');
  }
}

test('devices exchange to-device and room messages; fallback key use, rotation and replay', async () => {
  const srv = new Server();
  const alice = await open('@alice:example.org', 'ALICE');
  const bob = await open('@bob:example.org', 'BOB');
  const carol = await open('@carol:example.org', 'CAROL');
  for (const d of [alice, bob, carol]) {
    assert.equal(await srv.sync(d), true);
    assert.equal(await srv.sync(d), false);
  }
  await srv.connect(alice, carol);
  // Bob's one-time keys are all claimed: Alice gets his fallback key.
  srv.otks.set('@bob:example.org|BOB', []);
  const ref = await srv.connect(alice, bob);
  assert.equal(ref.fallback, true);

  const enc = await alice.encryptToDevice(bob, 'm.dummy', { hello: 'bob' });
  const event = toDevice(alice, enc);
  const ev = await bob.decryptToDevice(event);
  assert.deepEqual(ev.content, { hello: 'bob' });
  assert.equal(ev.senderKey, alice.identityKeys.curve25519);
  await assert.rejects(bob.decryptToDevice(event), (e) => e.code === 'REPLAYED_MESSAGE');

  // The used fallback key is replaced at the next sync.
  const before = srv.fallback.get('@bob:example.org|BOB').name;
  assert.equal(await srv.sync(bob), true);
  assert.notEqual(srv.fallback.get('@bob:example.org|BOB').name, before);

  // Bob answers (he learns Alice's device from /keys/query first).
  await bob.createOutboundSessions(srv.query(alice.userId));
  const reply = await alice.decryptToDevice(toDevice(bob, await bob.encryptToDevice(alice, 'm.dummy', { hi: 'alice' })));
  assert.deepEqual(reply.content, { hi: 'alice' });
  assert.equal(reply.verified, true);

  const room = '!room:example.org';
  const out = await alice.encryptRoomEvent(room, 'm.room.message', { msgtype: 'm.text', body: 'hello room' });
  assert.ok(out.roomKey);
  await share(alice, out.roomKey, bob, carol);
  for (const d of [bob, carol, alice]) {
    const re = await d.decryptRoomEvent(room, { event_id: '$1', content: out.content });
    assert.deepEqual(re.content, { msgtype: 'm.text', body: 'hello room' });
    assert.equal(re.senderKey, alice.identityKeys.curve25519);
  }
  await assert.rejects(bob.decryptRoomEvent(room, { event_id: '$other', content: out.content }), (e) => e.code === 'REPLAYED_MESSAGE');
  const dave = await open('@dave:example.org', 'DAVE');
  await assert.rejects(dave.decryptRoomEvent(room, { event_id: '$1', content: out.content }), (e) => e.code === 'UNKNOWN_SESSION');
  await assert.rejects(alice.encryptToDevice(dave, 'm.x', {}), (e) => e.code === 'NO_OLM_SESSION');
  for (const d of [alice, bob, carol, dave]) await d.close();
});

test('backup in batches, restore on a fresh IndexedDB device from the recovery key, reopen', async () => {
  const alice = await open('@alice:example.org', 'ALICE');
  const events = [];
  for (let i = 0; i < 60; i++) {
    const room = `!r${i % 7}:example.org`;
    await alice.discardRoomSession(room);
    const out = await alice.encryptRoomEvent(room, 'm.room.message', { body: `m${i}` });
    events.push({ room, event: { event_id: `$e${i}`, content: out.content }, body: `m${i}` });
  }
  const nb = await alice.createBackupVersion();
  const versionInfo = { ...nb.body, version: '1', count: 0, etag: '' };
  assert.equal((await alice.verifyBackupAuthData(versionInfo)).trusted, true);
  await alice.enableBackup({ version: '1', publicKey: nb.publicKey });
  const rooms = {};
  let batches = 0;
  for (let b; (b = await alice.nextBackupBatch(25)) !== null; batches++) {
    for (const [roomId, { sessions }] of Object.entries(b.body.rooms)) Object.assign((rooms[roomId] ??= { sessions: {} }).sessions, sessions);
    await alice.markBackedUp(b);
  }
  assert.equal(batches, 3);
  assert.deepEqual(await alice.roomKeyCounts(), { total: 60, backedUp: 60 });

  const opts = { userId: '@alice:example.org', deviceId: 'NEW', store: 'restored', backend: 'indexeddb', dbName: 'device-test', passphrase: 'store passphrase' };
  const fresh = await mx.openDevice(opts);
  await fresh.enableBackup({ version: '1', publicKey: nb.publicKey });
  await assert.rejects(fresh.restoreBackup(new Uint8Array(32).fill(1), { rooms }), (e) => e.code === 'WRONG_KEY');
  const stages = new Set();
  const res = await fresh.restoreBackup(nb.recoveryKey, { rooms }, { onProgress: (stage) => stages.add(stage) });
  assert.deepEqual(res, { total: 60, imported: 60, skipped: 0, failures: {} });
  assert.deepEqual([...stages].sort(), ['decrypt', 'store']);
  await fresh.close();

  const again = await mx.openDevice(opts);
  assert.deepEqual(again.identityKeys, fresh.identityKeys);
  for (const e of events) {
    const re = await again.decryptRoomEvent(e.room, e.event);
    assert.equal(re.content.body, e.body);
  }
  await assert.rejects(mx.openDevice({ ...opts, passphrase: 'wrong' }), (e) => e.code === 'WRONG_KEY');
  await again.close();
  await alice.close();
});

test('restore without WebCrypto (all in Go) gives the same result', async () => {
  const goOnly = await init({ webCrypto: false });
  const alice = await open('@alice:example.org', 'ALICE');
  const out = await alice.encryptRoomEvent('!g:example.org', 'm.room.message', { body: 'go only' });
  const nb = await alice.createBackupVersion();
  await alice.enableBackup({ version: '9', publicKey: nb.publicKey });
  const batch = await alice.nextBackupBatch(10);
  for (const [name, lib] of [['go only', goOnly], ['webcrypto', mx]]) {
    const fresh = await lib.openDevice({ userId: '@alice:example.org', deviceId: 'F', store: `restore-${name}`, backend: 'memory', storeKey });
    await fresh.enableBackup({ version: '9', publicKey: nb.publicKey });
    await assert.rejects(fresh.restoreBackup(new Uint8Array(32), batch.body), (e) => e.code === 'WRONG_KEY');
    assert.deepEqual(await fresh.restoreBackup(nb.privateKey, batch.body), { total: 1, imported: 1, skipped: 0, failures: {} }, name);
    const re = await fresh.decryptRoomEvent('!g:example.org', { event_id: '$g', content: out.content });
    assert.equal(re.content.body, 'go only');
    await fresh.close();
  }
  await alice.close();
});

test('key export files round-trip; a wrong passphrase is BAD_MAC', async () => {
  const alice = await open('@alice:example.org', 'ALICE');
  const bob = await open('@bob:example.org', 'BOB');
  const out = await alice.encryptRoomEvent('!x:example.org', 'm.room.message', { body: 'exported' });
  const file = await alice.exportRoomKeys('pass', { iterations: 1000 });
  assert.match(file, /^-----BEGIN MEGOLM SESSION DATA-----\n[\s\S]+\n-----END MEGOLM SESSION DATA-----\n$/);
  await assert.rejects(bob.importRoomKeys(file, 'nope'), (e) => e.code === 'BAD_MAC');
  assert.deepEqual(await bob.importRoomKeys(file, 'pass'), { total: 1, imported: 1, skipped: 0, failures: {} });
  const re = await bob.decryptRoomEvent('!x:example.org', { event_id: '$x', content: out.content });
  assert.equal(re.content.body, 'exported');
  assert.equal(re.imported, true);
  await alice.close();
  await bob.close();
  await assert.rejects(alice.roomKeyCounts(), (e) => e.code === 'CLOSED');
});

test('a device survives a restart of the wasm instance (IndexedDB store)', async () => {
  const opts = { userId: '@r:example.org', deviceId: 'R', store: 'restart', backend: 'indexeddb', dbName: 'device-test', storeKey };
  const d = await mx.openDevice(opts);
  const out = await d.encryptRoomEvent('!r:example.org', 'm.room.message', { body: 'before' });
  await assert.rejects(mx._debug.exit(3), (e) => e.code === 'INSTANCE_EXITED');
  const re = await d.decryptRoomEvent('!r:example.org', { event_id: '$r', content: out.content });
  assert.equal(re.content.body, 'before');
  const mem = await open('@m:example.org', 'M');
  await assert.rejects(mx._debug.exit(3), (e) => e.code === 'INSTANCE_EXITED');
  await assert.rejects(mem.roomKeyCounts(), (e) => e.code === 'INSTANCE_EXITED');
  await d.close();
});
