// Machine.encryptRoomEvent and decryptRoomEvent on a memory store run as
// direct calls (jsbridge/machine_direct.go) unless an Async call is under
// way; both paths must give the same results and the same errors. The test
// build counts the direct runs (_debug.machineDirectCalls); a pending
// _debug.sleep keeps an Async call under way.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay, ourPeer } from './helpers/machine-relay.mjs';
import { initTest } from './helpers/debug-build.mjs';

const ROOM = '!direct:example.org';
const USERS = ['@alice:example.org', '@bob:example.org'];
const storeKey = new Uint8Array(32).fill(9);
let mx;
before(async () => {
  mx = await initTest();
});

/** { direct, value } or { direct, error } of call(). */
async function outcome(call) {
  const before = await mx._debug.machineDirectCalls();
  const r = await call().then((value) => ({ value }), (error) => ({ error }));
  return { direct: (await mx._debug.machineDirectCalls()) > before, ...r };
}

/**
 * call() while an Async call is under way: the Async path. (Go's timer
 * fires from a macrotask; the calls here settle in microtasks.)
 */
async function busy(call) {
  const sleep = mx._debug.sleep(100);
  const o = await outcome(call);
  await sleep;
  return o;
}

const errorOf = (o) => ({ direct: o.direct, name: o.error?.name, code: o.error?.code, message: o.error?.message, withheldCode: o.error?.withheldCode });

async function samePath(call) {
  const fast = await outcome(call);
  const slow = await busy(call);
  assert.equal(fast.direct, true);
  assert.equal(slow.direct, false);
  return [fast, slow];
}

let seq = 0;
async function pair() {
  const relay = new Relay();
  const make = async (user, dev) => ourPeer(relay, await mx.openMachine({ userId: user, deviceId: dev, store: `direct-${dev}-${++seq}`, backend: 'memory', storeKey }));
  const alice = await make(USERS[0], 'ALICE');
  const bob = await make(USERS[1], 'BOB');
  for (const p of [alice, bob]) await p.flush();
  for (const p of [alice, bob]) await p.sync();
  return { alice, bob };
}

let eventSeq = 0;
const roomEvent = (content, id = `$d${++eventSeq}`) => ({ type: 'm.room.encrypted', sender: USERS[0], room_id: ROOM, event_id: id, origin_server_ts: 1, content });

test('direct and Async room event calls: same results', async () => {
  const { alice, bob } = await pair();
  await alice.share(ROOM, USERS);
  await bob.sync();
  const [e1, e2] = await samePath(() => alice.m.encryptRoomEvent(ROOM, 'm.room.message', { msgtype: 'm.text', body: 'one' }));
  assert.deepEqual(Object.keys(e1.value).sort(), Object.keys(e2.value).sort());
  assert.equal(e1.value.session_id, e2.value.session_id);
  assert.equal(e1.value.algorithm, 'm.megolm.v1.aes-sha2');

  const ev1 = roomEvent(e1.value);
  const [d1, d1again] = await samePath(() => bob.m.decryptRoomEvent(ROOM, ev1));
  assert.equal(d1.value.content.body, 'one');
  assert.deepEqual(d1again.value, d1.value);
  const ev2 = roomEvent(e2.value);
  const [d2slow, d2fast] = [await busy(() => bob.m.decryptRoomEvent(ROOM, ev2)), await outcome(() => bob.m.decryptRoomEvent(ROOM, ev2))];
  assert.equal(d2slow.direct, false);
  assert.equal(d2fast.direct, true);
  assert.deepEqual(d2fast.value, d2slow.value);
  assert.equal(d2fast.value.messageIndex, d1.value.messageIndex + 1);

  // Each encryption advanced the ratchet once, whichever path it took.
  const e3 = await outcome(() => alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'three' }));
  const d3 = await outcome(() => bob.m.decryptRoomEvent(ROOM, roomEvent(e3.value)));
  assert.equal(d3.value.messageIndex, d1.value.messageIndex + 2);
  await alice.m.close();
  await bob.m.close();
});

test('direct and Async room event calls: same errors, and a failure changes nothing', async () => {
  const { alice, bob } = await pair();
  const notShared = await samePath(() => alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'x' }));
  assert.equal(notShared[0].error.code, 'ROOM_KEY_NOT_SHARED');
  assert.deepEqual(errorOf(notShared[0]), { ...errorOf(notShared[1]), direct: true });

  await alice.share(ROOM, USERS);
  await bob.sync();
  const { value: content } = await outcome(() => alice.m.encryptRoomEvent(ROOM, 'm.room.message', { body: 'x' }));
  const cases = {
    UNKNOWN_SESSION: roomEvent({ ...content, session_id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    BAD_INPUT: roomEvent({ algorithm: 'm.megolm.v1.aes-sha2' }),
    noSender: { ...roomEvent(content), sender: undefined },
  };
  for (const [what, ev] of Object.entries(cases)) {
    const [fast, slow] = await samePath(() => bob.m.decryptRoomEvent(ROOM, ev));
    assert.ok(fast.error, what);
    assert.deepEqual(errorOf(fast), { ...errorOf(slow), direct: true }, what);
    if (what !== 'noSender') assert.equal(fast.error.code, what);
  }
  // A replay (same message, another event id) on each path.
  const ok = await outcome(() => bob.m.decryptRoomEvent(ROOM, roomEvent(content, '$first')));
  assert.equal(ok.value.content.body, 'x');
  const [r1, r2] = await samePath(() => bob.m.decryptRoomEvent(ROOM, roomEvent(content)));
  assert.equal(r1.error.code, 'REPLAYED_MESSAGE');
  assert.deepEqual(errorOf(r1), { ...errorOf(r2), direct: true, message: r1.error.message });
  assert.equal(r2.error.code, 'REPLAYED_MESSAGE');

  // Arguments the Async export refuses take it, with its errors.
  for (const args of [[42, 'm.room.message', {}], [ROOM, 7, {}], [ROOM, 'm.room.message', 'text'], [ROOM, 'm.room.message', { n: 1n }]]) {
    const o = await outcome(() => alice.m.encryptRoomEvent(...args));
    assert.equal(o.direct, false);
    assert.equal(o.error?.code, 'BAD_INPUT', String(args[0]));
  }
  const closed = alice.m;
  await closed.close();
  const c = await outcome(() => closed.encryptRoomEvent(ROOM, 'm.room.message', { body: 'x' }));
  assert.equal(c.error?.code, 'CLOSED');
  await bob.m.close();
});
