// Decryption cost of one Megolm session on a device as the session's replay
// record grows (issue 16): median CPU time per room-event decryption over the
// 100 messages before message 100, 500, 1,000 and 2,000. CPU time, not wall
// time, so other load on the machine does not swamp it.
//   node scripts/bench/replay-records.mjs [path/to/mxcrypto.wasm]
import { init } from 'mxcrypto';

const mx = await init(process.argv[2] ? { wasm: process.argv[2] } : {});
const ROOM = '!bench:example.org';
const alice = await mx.openDevice({ userId: '@a:example.org', deviceId: 'A', store: 'a', backend: 'memory', storeKey: new Uint8Array(32).fill(1) });
const bob = await mx.openDevice({ userId: '@b:example.org', deviceId: 'B', store: 'b', backend: 'memory', storeKey: new Uint8Array(32).fill(2) });
const up = await bob.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
await bob.markKeysUploaded({ one_time_key_counts: {} });
const [id, otk] = Object.entries(up.one_time_keys)[0];
await alice.createOutboundSessions({ device_keys: { '@b:example.org': { B: up.device_keys } }, failures: {} }, { one_time_keys: { '@b:example.org': { B: { [id]: otk } } } });
const events = [];
for (let i = 0; i < 2100; i++) {
  const enc = await alice.encryptRoomEvent(ROOM, 'm.room.message', { body: `message ${i}` }, { rotationPeriodMsgs: 1e6 });
  if (enc.roomKey) {
    const ev = await bob.decryptToDevice({ type: 'm.room.encrypted', sender: '@a:example.org', content: await alice.encryptToDevice({ userId: '@b:example.org', deviceId: 'B' }, 'm.room_key', enc.roomKey) });
    await bob.importRoomKey(ev.content, { kind: ev.type, senderKey: ev.senderKey, senderEd25519: ev.senderEd25519 });
  }
  events.push({ event_id: `$${String(i).padStart(43, '0')}`, content: enc.content });
}
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const samples = [];
for (let i = 0; i < 2100; i++) {
  const c = cpu();
  await bob.decryptRoomEvent(ROOM, events[i]);
  samples.push(cpu() - c);
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const out = {};
for (const end of [100, 500, 1000, 2000]) {
  const m = median(samples.slice(end - 100, end));
  out[end] = { medianCpuMsPerMessage: +m.toFixed(2), messagesPerCpuSecond: Math.round(1000 / m) };
}
console.log(JSON.stringify(out));
await bob.decryptRoomEvent(ROOM, { ...events[5], event_id: '$evil' }).then(
  () => { throw new Error('a replayed index was not refused'); },
  (e) => { if (e.code !== 'REPLAYED_MESSAGE') throw e; },
);
await alice.close();
await bob.close();
