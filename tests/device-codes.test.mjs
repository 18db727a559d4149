// Issue 11 §6 on the device API: a to-device event must say it is
// m.room.encrypted, and event content holding NaN or ±Infinity (which
// JSON.stringify would send as null) is refused with BAD_INPUT instead of
// reaching the recipient as another value. A refused call changes nothing:
// the genuine calls afterwards behave as if it never happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMx } from './helpers/peers.mjs';

const mx = await loadMx();
let seq = 0;
const open = (userId, deviceId) => mx.openDevice({ userId, deviceId, store: `codes${++seq}`, backend: 'memory', storeKey: new Uint8Array(32).fill(seq) });

async function pair() {
  const alice = await open('@alice:example.org', 'ALICE');
  const bob = await open('@bob:example.org', 'BOB');
  const up = await bob.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
  await bob.markKeysUploaded({ one_time_key_counts: {} });
  const [id, otk] = Object.entries(up.one_time_keys)[0];
  await alice.createOutboundSessions(
    { device_keys: { [bob.userId]: { [bob.deviceId]: up.device_keys } }, failures: {} },
    { one_time_keys: { [bob.userId]: { [bob.deviceId]: { [id]: otk } } } },
  );
  return { alice, bob };
}

const rejectsWith = (promise, code, what) => assert.rejects(promise, (e) => {
  assert.equal(e.code, code, `${what}: ${e.code} ${e.message}`);
  return true;
});

test('decryptToDevice refuses an event without type m.room.encrypted, then decrypts the real one', async () => {
  const { alice, bob } = await pair();
  const content = await alice.encryptToDevice(bob, 'm.dummy', { n: 1 });
  for (const type of [undefined, '', 'm.room_key', 'm.room.message', 7, null]) {
    const event = { sender: alice.userId, content };
    if (type !== undefined) event.type = type;
    await rejectsWith(bob.decryptToDevice(event), 'BAD_INPUT', `type ${JSON.stringify(type)}`);
  }
  const ev = await bob.decryptToDevice({ type: 'm.room.encrypted', sender: alice.userId, content });
  assert.deepEqual(ev.content, { n: 1 });
  await alice.close();
  await bob.close();
});

test('NaN and ±Infinity in event content are BAD_INPUT, not null', async () => {
  const { alice, bob } = await pair();
  const bad = [NaN, Infinity, -Infinity];
  for (const v of bad) {
    for (const content of [{ v }, { deep: { list: [1, v] } }]) {
      await rejectsWith(alice.encryptRoomEvent('!r:example.org', 'm.room.message', content), 'BAD_INPUT', `room content ${String(v)}`);
      await rejectsWith(alice.encryptToDevice(bob, 'm.dummy', content), 'BAD_INPUT', `to-device content ${String(v)}`);
    }
  }
  // Nothing was sent or started: the first room message starts the session
  // at index 0, and the first to-device message is still the pre-key one.
  const room = await alice.encryptRoomEvent('!r:example.org', 'm.room.message', { v: 1.5 });
  assert.ok(room.roomKey, 'the refused calls did not start a session');
  const toBob = await alice.encryptToDevice(bob, 'm.room_key', room.roomKey);
  assert.equal(Object.values(toBob.ciphertext)[0].type, 0);
  const ev = await bob.decryptToDevice({ type: 'm.room.encrypted', sender: alice.userId, content: toBob });
  await bob.importRoomKey(ev.content, { kind: ev.type, senderKey: ev.senderKey, senderEd25519: ev.senderEd25519 });
  const clear = await bob.decryptRoomEvent('!r:example.org', { event_id: '$1', content: room.content });
  assert.equal(clear.messageIndex, 0);
  assert.deepEqual(clear.content, { v: 1.5 });
  await alice.close();
  await bob.close();
});
