// The machine's JS API (mx.openMachine) end to end in one process: two of
// our machines and matrix-sdk-crypto-wasm's OlmMachine exchange keys and
// room messages through an in-memory relay (tests/helpers/machine-relay.mjs),
// and tell each other when a key is withheld (m.room_key.withheld both ways);
// forged senders, withheld keys, key requests between own devices, backup
// uploads and on-demand fetches, and a restart that keeps the room key.
import 'fake-indexeddb/auto';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadRustSdk } from './helpers/peers.mjs';
import { Relay, ourPeer, rustPeer } from './helpers/machine-relay.mjs';
import { initTest } from './helpers/debug-build.mjs';

const ROOM = '!machine:example.org';
const storeKey = new Uint8Array(32).fill(5);
let mx;
let rs;
let seq = 0;
before(async () => {
  [mx, rs] = await Promise.all([loadMx(), loadRustSdk()]);
});

async function ours(relay, userId, deviceId, store = `machine-${++seq}`) {
  const m = await mx.openMachine({ userId, deviceId, store, backend: 'memory', storeKey });
  const p = ourPeer(relay, m);
  await p.flush();
  return p;
}

let eventSeq = 0;
const roomEvent = (sender, content) => ({ type: 'm.room.encrypted', sender, room_id: ROOM, event_id: `$ev${++eventSeq}`, origin_server_ts: 1, content });

test('two machines: room messages both ways, sender device named, restart keeps the room key', async () => {
  const relay = new Relay();
  const alice = await ours(relay, '@alice:example.org', 'ALICE', 'alice-restart');
  const bob = await ours(relay, '@bob:example.org', 'BOB');
  await alice.sync();
  await bob.sync();
  const users = ['@alice:example.org', '@bob:example.org'];
  await alice.share(ROOM, users);
  const content = await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { msgtype: 'm.text', body: 'hi bob' });
  const res = await bob.sync();
  assert.ok(res.events.some((e) => e.type === 'roomKeyReceived' && e.sessionId === content.session_id), JSON.stringify(res.events));
  const keyEvent = res.toDeviceEvents.find((e) => e.type === 'm.room_key');
  assert.equal(keyEvent.encrypted, true);
  assert.deepEqual(keyEvent.content, {}, 'room key contents stay inside the machine');
  const clear = await bob.m.decryptRoomEvent(ROOM, roomEvent('@alice:example.org', content));
  assert.equal(clear.content.body, 'hi bob');
  assert.equal(clear.sender, '@alice:example.org');
  assert.equal(clear.senderDevice.deviceId, 'ALICE');
  assert.equal(clear.senderDevice.keys.ed25519, alice.m.identityKeys.ed25519);
  assert.equal(await bob.m.syncToken(), bob.lastBatch, 'the sync token is stored once the response is processed');

  // A restart: same store, no new session, nothing to send.
  await alice.m.close();
  const again = await ours(relay, '@alice:example.org', 'ALICE', 'alice-restart');
  assert.deepEqual(await again.m.shareRoomKey(ROOM, users), []);
  const content2 = await again.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'still the same key' });
  assert.equal(content2.session_id, content.session_id);
  assert.equal((await bob.m.decryptRoomEvent(ROOM, roomEvent('@alice:example.org', content2))).content.body, 'still the same key');

  // Bob answers.
  await bob.share(ROOM, users);
  const reply = await bob.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'hi alice' });
  await again.sync();
  const back = await again.m.decryptRoomEvent(ROOM, roomEvent('@bob:example.org', reply));
  assert.equal(back.content.body, 'hi alice');
  assert.equal(back.senderDevice.deviceId, 'BOB');
  await again.m.close();
  await bob.m.close();
});

test('decryption failures carry their codes: UNKNOWN_SESSION, MISMATCHED_SENDER, REPLAYED_MESSAGE, WITHHELD', async () => {
  const relay = new Relay();
  const alice = await ours(relay, '@alice:example.org', 'ALICE');
  const bob = await ours(relay, '@bob:example.org', 'BOB');
  const mallory = await ours(relay, '@mallory:example.org', 'MALLORY');
  for (const p of [alice, bob, mallory]) await p.sync();
  const users = ['@alice:example.org', '@bob:example.org', '@mallory:example.org'];
  const content = await (async () => {
    await alice.share(ROOM, users);
    return alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'from alice' });
  })();
  await assert.rejects(bob.m.decryptRoomEvent(ROOM, roomEvent('@alice:example.org', content)), { code: 'UNKNOWN_SESSION' });
  await bob.sync();
  const ev = roomEvent('@alice:example.org', content);
  assert.equal((await bob.m.decryptRoomEvent(ROOM, ev)).content.body, 'from alice');
  // The same ciphertext under another event id is a replay.
  await assert.rejects(bob.m.decryptRoomEvent(ROOM, { ...ev, event_id: '$other' }), { code: 'REPLAYED_MESSAGE' });
  // The same ciphertext said to come from mallory (a tracked member).
  await bob.m.updateTrackedUsers(['@mallory:example.org']);
  await bob.flush();
  await assert.rejects(bob.m.decryptRoomEvent(ROOM, { ...ev, sender: '@mallory:example.org' }), { code: 'MISMATCHED_SENDER' });

  // Alice withholds from unverified devices in another room.
  const room2 = '!second:example.org';
  await alice.m.setDeviceTrust('@bob:example.org', 'BOB', 'trusted');
  for (let i = 0; i < 10; i++) {
    const reqs = await alice.m.shareRoomKey(room2, users, { onlyTrustedDevices: true });
    if (!reqs.length) break;
    for (const r of reqs) await alice.send(r);
  }
  const c2 = await alice.m.encryptRoomEvent(room2, 'm.room.message', { body: 'trusted only' });
  const res = await mallory.sync();
  assert.ok(res.events.some((e) => e.type === 'roomKeyWithheld' && e.code === 'm.unverified'), JSON.stringify(res.events));
  await assert.rejects(mallory.m.decryptRoomEvent(room2, { ...roomEvent('@alice:example.org', c2), room_id: room2 }), (e) => e.code === 'WITHHELD' && e.withheldCode === 'm.unverified');
  await bob.sync();
  assert.equal((await bob.m.decryptRoomEvent(room2, { ...roomEvent('@alice:example.org', c2), room_id: room2 })).content.body, 'trusted only');
  await assert.rejects(alice.m.encryptRoomEvent('!never-shared:example.org', 'm.room.message', {}), { code: 'ROOM_KEY_NOT_SHARED' });
  for (const p of [alice, bob, mallory]) await p.m.close();
});

test('a missing key is requested from a trusted own device and fetched from the backup', async () => {
  const relay = new Relay();
  const alice = await ours(relay, '@alice:example.org', 'ALICE');
  const bob1 = await ours(relay, '@bob:example.org', 'BOB1');
  for (const p of [alice, bob1]) await p.sync();
  const users = ['@alice:example.org', '@bob:example.org'];
  await alice.share(ROOM, users);
  const content = await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'before bob2' });
  await bob1.sync();
  const ev = roomEvent('@alice:example.org', content);
  assert.equal((await bob1.m.decryptRoomEvent(ROOM, ev)).content.body, 'before bob2');

  // Bob1 backs its keys up.
  const { body, privateKey, recoveryKey } = await bob1.m.createBackupVersion();
  relay.backupVersion = '1';
  await bob1.m.enableBackup({ version: '1', publicKey: body.auth_data.public_key, privateKey });
  await bob1.flush();
  assert.ok(relay.backup.get(ROOM)?.has(content.session_id), 'the key was uploaded');

  // Bob2 logs in: no key. Requested from Bob1, which trusts Bob2.
  const bob2 = await ours(relay, '@bob:example.org', 'BOB2');
  await bob2.sync();
  await bob1.sync();
  await bob1.m.setDeviceTrust('@bob:example.org', 'BOB2', 'trusted');
  await bob2.m.setDeviceTrust('@bob:example.org', 'BOB1', 'trusted');
  await bob2.m.updateTrackedUsers(users); // the room's members, as a driver does
  await bob2.flush();
  await assert.rejects(bob2.m.decryptRoomEvent(ROOM, ev), { code: 'UNKNOWN_SESSION' });
  await bob2.flush(); // the m.room_key_request
  await bob1.sync(); // answers with m.forwarded_room_key
  const got = await bob2.sync();
  assert.ok(got.events.some((e) => e.type === 'roomKeyReceived' && e.source === 'm.forwarded_room_key'), JSON.stringify(got.events));
  const clear = await bob2.m.decryptRoomEvent(ROOM, ev);
  assert.equal(clear.content.body, 'before bob2');
  assert.equal(clear.forwarded, true);
  assert.equal(clear.senderDevice.deviceId, 'ALICE');

  // Bob3 has the recovery key: the key comes from the backup on demand.
  const bob3 = await ours(relay, '@bob:example.org', 'BOB3');
  await bob3.sync();
  await bob3.m.updateTrackedUsers(users);
  await bob3.m.enableBackup({ version: '1', publicKey: body.auth_data.public_key, privateKey: recoveryKey });
  await assert.rejects(bob3.m.decryptRoomEvent(ROOM, ev), { code: 'UNKNOWN_SESSION' });
  const reqs = await bob3.m.outgoingRequests();
  assert.ok(reqs.some((r) => r.type === 'backup_get' && r.method === 'GET' && decodeURIComponent(r.path).includes(`/${ROOM}/${content.session_id}?version=1`)), JSON.stringify(reqs));
  const fetched = await bob3.flush();
  assert.ok(fetched.some((e) => e.type === 'roomKeyReceived' && e.source === 'backup'), JSON.stringify(fetched));
  assert.equal((await bob3.m.decryptRoomEvent(ROOM, ev)).content.body, 'before bob2');

  // The server's backup version moved on: uploads stop with a typed event.
  relay.backupVersion = '2';
  await alice.share(ROOM, users);
  await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'more' });
  await bob1.sync();
  const c3 = await (async () => {
    await bob1.share(ROOM, users);
    return bob1.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'new key to back up' });
  })();
  assert.ok(c3);
  const mismatch = await bob1.flush();
  const e = mismatch.find((x) => x.type === 'backupVersionMismatch');
  assert.ok(e, JSON.stringify(mismatch));
  assert.equal(e.version, '1');
  assert.ok(!(await bob1.m.outgoingRequests()).some((r) => r.type === 'backup_upload'));
  for (const p of [alice, bob1, bob2, bob3]) await p.m.close();
});

test('interop: our machine and matrix-sdk-crypto-wasm OlmMachine share room keys and read each other', async () => {
  const relay = new Relay();
  const alice = await ours(relay, '@alice:example.org', 'ALICE');
  const rust = await rustPeer(relay, rs, '@rust:example.org', 'RUST');
  await rust.flush();
  await alice.sync();
  await rust.sync();
  const users = ['@alice:example.org', '@rust:example.org'];

  await alice.share(ROOM, users);
  const content = await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { msgtype: 'm.text', body: 'hello rust' });
  await rust.sync();
  const dec = await rust.decrypt(ROOM, roomEvent('@alice:example.org', content));
  assert.equal(dec.content.body, 'hello rust');

  await rust.share(ROOM, users);
  const fromRust = await rust.encrypt(ROOM, 'm.room.message', { msgtype: 'm.text', body: 'hello alice' });
  await alice.sync();
  const clear = await alice.m.decryptRoomEvent(ROOM, roomEvent('@rust:example.org', fromRust));
  assert.equal(clear.content.body, 'hello alice');
  assert.equal(clear.senderDevice.deviceId, 'RUST');
  // A Rust-made event re-sent as mallory's is refused.
  const another = await rust.encrypt(ROOM, 'm.room.message', { msgtype: 'm.text', body: 'not from mallory' });
  await assert.rejects(alice.m.decryptRoomEvent(ROOM, roomEvent('@mallory:example.org', another)), { code: 'MISMATCHED_SENDER' });

  // Alice withholds from unverified devices: Rust sees why (m.room_key.withheld as Rust parses it).
  const room2 = '!withheld:example.org';
  for (let i = 0; i < 10; i++) {
    const reqs = await alice.m.shareRoomKey(room2, users, { onlyTrustedDevices: true });
    if (!reqs.length) break;
    for (const r of reqs) await alice.send(r);
  }
  const hidden = await alice.m.encryptRoomEvent(room2, 'm.room.message', { body: 'not for rust' });
  await rust.sync();
  await assert.rejects(rust.decrypt(room2, { ...roomEvent('@alice:example.org', hidden), room_id: room2 }), (e) => {
    assert.equal(e.maybe_withheld, 'The sender has disabled encrypting to unverified devices.');
    return true;
  });
  // And the reverse: Rust withholds from our unverified device; we report its code.
  const room3 = '!withheld-by-rust:example.org';
  await rust.share(room3, users, { onlyTrustedDevices: true });
  const fromRustHidden = await rust.encrypt(room3, 'm.room.message', { body: 'not for alice' });
  const got = await alice.sync();
  assert.ok(got.events.some((e) => e.type === 'roomKeyWithheld' && e.code === 'm.unverified'), JSON.stringify(got.events));
  await assert.rejects(alice.m.decryptRoomEvent(room3, { ...roomEvent('@rust:example.org', fromRustHidden), room_id: room3 }),
    (e) => e.code === 'WITHHELD' && e.withheldCode === 'm.unverified');
  await alice.m.close();
  rust.m.free?.();
});

test('bad input is BAD_INPUT, a closed machine is CLOSED, and the module lives on', async () => {
  const relay = new Relay();
  const p = await ours(relay, '@eve:example.org', 'EVE');
  const m = p.m;
  const bad = [
    () => m.shareRoomKey('not-a-room', ['@a:b']),
    () => m.shareRoomKey(ROOM, ['not-a-user']),
    () => m.shareRoomKey(ROOM, 'x'),
    () => m.updateTrackedUsers(['nobody']),
    () => m.markRequestAsSent('id', 'bogus_type', {}),
    () => m.receiveSyncChanges({ toDeviceEvents: 'x' }),
    () => m.receiveSyncChanges({ toDeviceEvents: [1] }),
    () => m.receiveSyncChanges({ changedDevices: { changed: [1] } }),
    () => m.receiveSyncChanges(null),
    () => m.decryptRoomEvent(ROOM, { content: {} }),
    () => m.decryptRoomEvent(ROOM, 'x'),
    () => m.encryptRoomEvent(ROOM, 'm.room.message', 'x'),
    () => m.setDeviceTrust('@a:b', 'D', 'maybe'),
    () => m.enableBackup({ version: '1', publicKey: 'AAAA', privateKey: new Uint8Array(3) }),
    () => m.enableBackup(null),
  ];
  for (const f of bad) await assert.rejects(f(), (e) => e.name === 'MxCryptoError' && e.code === 'BAD_INPUT', String(f));
  // A malformed response or to-device event is reported, not fatal.
  const res = await m.receiveSyncChanges({ toDeviceEvents: [{ type: 'm.room.encrypted', sender: '@x:y', content: { algorithm: 'nope', sender_key: 'x', ciphertext: {} } }] });
  assert.equal(res.toDeviceEvents[0].failure, true);
  assert.equal(res.toDeviceEvents[0].code, 'UNSUPPORTED_ALGORITHM');
  await m.markRequestAsSent('unknown-id', 'keys_query', { device_keys: 5 });
  await m.close();
  await assert.rejects(m.outgoingRequests(), { code: 'CLOSED' });
  // The module still works.
  const again = await ours(relay, '@eve:example.org', 'EVE2');
  assert.ok((await again.m.trackedUsers()).includes('@eve:example.org'));
  await again.m.close();
});

test('a machine survives a restart of the wasm instance (IndexedDB store): its unsent to-device requests too', async () => {
  const relay = new Relay();
  // The test build, for _debug.exit; its own instance, so the others' stay up.
  const mx = await initTest();
  const opts = { userId: '@ida:example.org', deviceId: 'IDA', store: 'machine-restart', backend: 'indexeddb', dbName: 'machine-test', storeKey };
  const m = await mx.openMachine(opts);
  const ida = ourPeer(relay, m);
  await ida.flush();
  const bob = ourPeer(relay, await mx.openMachine({ ...opts, userId: '@bob:example.org', deviceId: 'BOB', store: 'machine-restart-bob' }));
  await bob.flush();
  await ida.sync();
  await bob.sync();
  const users = ['@ida:example.org', '@bob:example.org'];
  // Query and claim, but leave the room key messages unsent.
  let toDevice = [];
  for (let i = 0; i < 10 && toDevice.length === 0; i++) {
    for (const r of await m.shareRoomKey(ROOM, users)) {
      if (r.type === 'to_device') toDevice.push(r);
      else await ida.send(r);
    }
  }
  assert.ok(toDevice.length > 0);
  const content = await m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'across a restart' });
  await assert.rejects(mx._debug.exit(3), (e) => e.code === 'INSTANCE_EXITED');
  const after = await m.outgoingRequests(); // reattaches on the new instance
  for (const r of toDevice) assert.ok(after.some((x) => x.id === r.id), `request ${r.id} kept`);
  await ida.flush();
  await bob.sync();
  assert.equal((await bob.m.decryptRoomEvent(ROOM, roomEvent('@ida:example.org', content))).content.body, 'across a restart');
  await m.close();
  await bob.m.close();
});

test('decryptRoomEvents: a timeline in one call, each entry an event or { error } with the code decryptRoomEvent gives', async () => {
  const relay = new Relay();
  const alice = await ours(relay, '@alice:example.org', 'ALICE');
  const bob = await ours(relay, '@bob:example.org', 'BOB');
  await alice.sync();
  await bob.sync();
  await alice.share(ROOM, ['@alice:example.org', '@bob:example.org']);
  const evs = [];
  for (let i = 0; i < 6; i++) evs.push(roomEvent('@alice:example.org', await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: `m${i}` })));
  await bob.sync();
  const timeline = [evs[0], evs[1], { ...evs[1], event_id: '$replayed' }, { ...evs[2], sender: '@mallory:example.org' }, evs[3], evs[4], evs[5]];
  const out = await bob.m.decryptRoomEvents(ROOM, timeline);
  assert.equal(out.length, timeline.length);
  assert.deepEqual(out.map((r) => r.error?.code ?? r.content.body), ['m0', 'm1', 'REPLAYED_MESSAGE', 'MISMATCHED_SENDER', 'm3', 'm4', 'm5']);
  assert.ok(out[2].error instanceof Error && out[2].error.name === 'MxCryptoError');
  assert.equal(out[0].senderDevice.deviceId, 'ALICE');
  assert.equal(out[6].messageIndex, 5);
  // Recorded like one call each: the replay is refused one by one too, and
  // the same timeline again gives the same results.
  await assert.rejects(bob.m.decryptRoomEvent(ROOM, { ...evs[4], event_id: '$other' }), { code: 'REPLAYED_MESSAGE' });
  const again = await bob.m.decryptRoomEvents(ROOM, timeline);
  assert.deepEqual(again.map((r) => r.error?.code ?? r.content.body), out.map((r) => r.error?.code ?? r.content.body));
  assert.deepEqual(await bob.m.decryptRoomEvents(ROOM, []), []);
  await assert.rejects(bob.m.decryptRoomEvents(ROOM, 'not a list'), { code: 'BAD_INPUT' });
  await assert.rejects(bob.m.decryptRoomEvents(ROOM, [evs[0], 7]), { code: 'BAD_INPUT' });
  await alice.m.close();
  await bob.m.close();
});
