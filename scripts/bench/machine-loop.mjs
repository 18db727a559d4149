// The device path in Node: two of our machines on the in-memory relay share
// a room key, then N room-event encrypts and N decrypts (one call each, and
// one decryptRoomEvents batch), on the memory backend. A benchmark, not a
// test: `node scripts/bench/machine-loop.mjs [N] [wasm]`.
import { readFileSync } from 'node:fs';
import { init } from 'mxcrypto';
import { Relay, ourPeer } from '../../tests/helpers/machine-relay.mjs';

const N = Number(process.argv[2] ?? 100);
const mx = await init(process.argv[3] ? { wasm: readFileSync(process.argv[3]) } : undefined);
const ROOM = '!loop:example.org';
const USERS = ['@alice:example.org', '@bob:example.org'];
const storeKey = new Uint8Array(32).fill(9);
const relay = new Relay();
let seq = 0;
const peer = async (user, dev) => {
  const p = ourPeer(relay, await mx.openMachine({ userId: user, deviceId: dev, store: `loop-${dev}`, backend: 'memory', storeKey }));
  await p.flush();
  return p;
};
const alice = await peer(USERS[0], 'ALICE');
const bob = await peer(USERS[1], 'BOB');
await alice.sync();
await bob.sync();
await alice.share(ROOM, USERS, { rotationPeriodMsgs: 100000 });
const text = 'x'.repeat(1024);
const ev = (content) => ({ type: 'm.room.encrypted', sender: USERS[0], room_id: ROOM, event_id: `$e${++seq}`, origin_server_ts: 1, content });

const rounds = async (label, fn) => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000;
  // CPU time per op says less about the other load on a shared machine.
  console.log(`${label}: ${(ms / N).toFixed(2)} ms/op, ${Math.round((N * 1000) / ms)} ops/s; CPU ${(cpu / N).toFixed(2)} ms/op`);
  return r;
};
const events = await rounds('encrypt', async () => {
  const out = [];
  for (let i = 0; i < N; i++) out.push(ev(await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { msgtype: 'm.text', body: text })));
  return out;
});
await bob.sync();
await rounds('decrypt', async () => {
  // Per-op time of the first and the last tenth: decrypt cost must not
  // grow with the messages a session has seen.
  const tenth = Math.max(1, Math.floor(N / 10));
  const marks = [];
  for (const [i, e] of events.entries()) {
    if (i === 0 || i === tenth || i === N - tenth) marks.push(performance.now());
    if ((await bob.m.decryptRoomEvent(ROOM, e)).content.body !== text) throw new Error('wrong body');
  }
  marks.push(performance.now());
  console.log(`decrypt, first tenth ${((marks[1] - marks[0]) / tenth).toFixed(2)} ms/op, last tenth ${((marks[3] - marks[2]) / tenth).toFixed(2)} ms/op`);
});
if (typeof bob.m.decryptRoomEvents === 'function') {
  const more = [];
  for (let i = 0; i < N; i++) more.push(ev(await alice.m.encryptRoomEvent(ROOM, 'm.room.message', { msgtype: 'm.text', body: text })));
  await rounds('decryptRoomEvents (one batch)', async () => {
    const rs = await bob.m.decryptRoomEvents(ROOM, more);
    if (rs.some((r) => r.content?.body !== text)) throw new Error('wrong body in batch');
  });
}
await alice.m.close();
await bob.m.close();
