// Key export files (issue 11 §5): PBKDF2 runs in WebCrypto, off the JS
// thread, so a file asking for 10,000,000 rounds (the most accepted) does
// not freeze the event loop: while it is written and read, a 10 ms timer
// keeps firing and the JS thread is never busy for 100 ms at a stretch.
// With webCrypto: false Go derives the key itself, pausing every 20 ms of
// work. The files are the same whichever side derives the key: written with
// WebCrypto and read by Go alone and by matrix-sdk-crypto, and the other
// way round.
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { loadMx, loadMxGoOnly, loadRustSdk } from './helpers/peers.mjs';

const [mx, goOnly, rs] = await Promise.all([loadMx(), loadMxGoOnly(), loadRustSdk()]);
let seq = 0;
const open = (api, deviceId) => api.openDevice({ userId: '@k:example.org', deviceId, store: `kf${++seq}`, backend: 'memory', storeKey: new Uint8Array(32).fill(seq) });

/**
 * CPU time the JS (main) thread has used, in ms: Linux's per-thread
 * utime + stime (USER_HZ = 100, so 10 ms steps); null elsewhere.
 */
const mainThreadStat = `/proc/self/task/${process.pid}/stat`;
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(mainThreadStat, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * Runs fn while a 10 ms interval timer ticks. maxBusyMs is the most CPU
 * time the JS thread spent between two ticks (or between the last tick and
 * the end): how long the call kept the event loop from running anything
 * else. It is measured as the thread's CPU time, not as wall-clock gaps
 * between ticks (maxGapMs, reported), because on a loaded machine those
 * also include the time the OS gave other threads, which is not the call's
 * doing. Where per-thread CPU time is not available, event-loop
 * utilization stands in.
 */
async function whileTicking(fn) {
  let lastCpu = mainThreadCpuMs();
  let lastElu = performance.eventLoopUtilization();
  let last = performance.now();
  let maxBusyMs = 0;
  let maxGapMs = 0;
  let ticks = 0;
  const sample = () => {
    const cpu = mainThreadCpuMs();
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    const now = performance.now();
    maxBusyMs = Math.max(maxBusyMs, cpu === null ? elu.active : cpu - lastCpu);
    maxGapMs = Math.max(maxGapMs, now - last);
    lastCpu = cpu;
    last = now;
  };
  const timer = setInterval(() => {
    sample();
    ticks++;
  }, 10);
  try {
    const result = await fn();
    sample();
    return { result, maxBusyMs, maxGapMs, ticks };
  } finally {
    clearInterval(timer);
  }
}

const stall = (r) => `${r.maxBusyMs.toFixed(0)} ms busy at a stretch (longest timer gap ${r.maxGapMs.toFixed(0)} ms, ${r.ticks} ticks)`;

async function deviceWithKeys(api, deviceId, n) {
  const d = await open(api, deviceId);
  for (let i = 0; i < n; i++) {
    await d.discardRoomSession('!k:example.org');
    await d.encryptRoomEvent('!k:example.org', 'm.room.message', { i });
  }
  return d;
}

test('a key file of 10,000,000 PBKDF2 rounds is written and read without blocking the event loop', { timeout: 300_000 }, async (t) => {
  const alice = await deviceWithKeys(mx, 'ALICE', 3);
  const written = await whileTicking(() => alice.exportRoomKeys('slow passphrase', { iterations: 10_000_000 }));
  t.diagnostic(`export: ${stall(written)}`);
  assert.ok(written.maxBusyMs < 100, `export: ${stall(written)}`);
  assert.ok(written.ticks > 10, `export: ${stall(written)}`);
  const file = written.result;
  const header = Buffer.from(file.split('\n').slice(1, -2).join(''), 'base64');
  assert.equal(header.readUInt32BE(33), 10_000_000, 'the file asks for the rounds it was written with');
  const bob = await open(mx, 'BOB');
  const read = await whileTicking(() => bob.importRoomKeys(file, 'slow passphrase'));
  t.diagnostic(`import: ${stall(read)}`);
  assert.ok(read.maxBusyMs < 100, `import: ${stall(read)}`);
  assert.ok(read.ticks > 10, `import: ${stall(read)}`);
  assert.deepEqual(read.result, { total: 3, imported: 3, skipped: 0, failures: {} });
  // A wrong passphrase is BAD_MAC, also after 10 million rounds, and changes nothing.
  const wrong = await whileTicking(() => bob.importRoomKeys(file, 'wrong').then(() => 'OK', (e) => e.code));
  assert.equal(wrong.result, 'BAD_MAC');
  assert.ok(wrong.maxBusyMs < 100, `wrong passphrase: ${stall(wrong)}`);
  assert.deepEqual(await bob.roomKeyCounts(), { total: 3, backedUp: 0 });
  await alice.close();
  await bob.close();
});

test('with webCrypto: false, Go derives the key file key in steps and the event loop still runs', { timeout: 300_000 }, async (t) => {
  const alice = await deviceWithKeys(goOnly, 'PACED', 2);
  const written = await whileTicking(() => alice.exportRoomKeys('pw', { iterations: 300_000 }));
  t.diagnostic(`Go-only export: ${stall(written)}`);
  assert.ok(written.maxBusyMs < 100, `Go-only export: ${stall(written)}`);
  assert.ok(written.ticks > 5, `Go-only export: ${stall(written)}`);
  const bob = await open(goOnly, 'PACED2');
  const read = await whileTicking(() => bob.importRoomKeys(written.result, 'pw'));
  t.diagnostic(`Go-only import: ${stall(read)}`);
  assert.ok(read.maxBusyMs < 100, `Go-only import: ${stall(read)}`);
  assert.equal(read.result.imported, 2);
  await alice.close();
  await bob.close();
});

test('control: the measure sees a blocked event loop (Go-only passphrase.deriveKey of 300,000 rounds)', { timeout: 120_000 }, async (t) => {
  const r = await whileTicking(() => goOnly.passphrase.deriveKey('pw', 'salt', 300_000, 512));
  t.diagnostic(`Go-only passphrase.deriveKey: ${stall(r)}`);
  assert.equal(r.result.length, 64);
  assert.ok(r.maxBusyMs > 100, `Go on the JS thread in one piece should show as busy: ${stall(r)}`);
});

test('key files agree across WebCrypto, Go alone and matrix-sdk-crypto', { timeout: 120_000 }, async () => {
  const fast = await deviceWithKeys(mx, 'FAST', 2);
  const slow = await deviceWithKeys(goOnly, 'GO', 2);
  const fromFast = await fast.exportRoomKeys('pw', { iterations: 2000 });
  const fromGo = await slow.exportRoomKeys('pw', { iterations: 2000 });
  const fromRust = rs.OlmMachine.encryptExportedRoomKeys(rs.OlmMachine.decryptExportedRoomKeys(fromFast, 'pw'), 'pw', 3000);
  for (const [name, file] of [['WebCrypto-written', fromFast], ['Go-written', fromGo], ['matrix-sdk-crypto-written', fromRust]]) {
    for (const [reader, api] of [['WebCrypto', mx], ['Go only', goOnly]]) {
      const d = await open(api, 'READER');
      const r = await d.importRoomKeys(file, 'pw');
      assert.equal(r.imported, 2, `${name} file read with ${reader}: ${JSON.stringify(r)}`);
      await assert.rejects(d.importRoomKeys(file, 'pW'), (e) => e.code === 'BAD_MAC', `${name}, ${reader}: wrong passphrase`);
      await d.close();
    }
    const sessions = JSON.parse(rs.OlmMachine.decryptExportedRoomKeys(file, 'pw'));
    assert.equal(sessions.length, 2, `${name} file read by matrix-sdk-crypto`);
  }
  await fast.close();
  await slow.close();
});

test('key file errors have the same codes on both paths', { timeout: 60_000 }, async () => {
  for (const api of [mx, goOnly]) {
    const d = await deviceWithKeys(api, 'ERR', 1);
    const good = await d.exportRoomKeys('pw', { iterations: 1000 });
    const cases = [
      ['not a file', d.importRoomKeys('hello', 'pw'), 'BAD_INPUT'],
      ['footer before header', d.importRoomKeys('-----END MEGOLM SESSION DATA-----\n-----BEGIN MEGOLM SESSION DATA-----', 'pw'), 'BAD_INPUT'],
      ['empty passphrase', d.importRoomKeys(good, ''), 'BAD_MAC'],
      ['passphrase not a string', d.importRoomKeys(good, 5), 'BAD_INPUT'],
      ['export without passphrase', d.exportRoomKeys(''), 'BAD_INPUT'],
      ['export with 0.5 rounds', d.exportRoomKeys('pw', { iterations: 0.5 }), 'BAD_INPUT'],
      ['export with 10,000,001 rounds', d.exportRoomKeys('pw', { iterations: 10_000_001 }), 'BAD_INPUT'],
    ];
    // A file asking for more rounds than accepted: refused before deriving.
    const raw = Buffer.from(good.split('\n').slice(1, -2).join(''), 'base64');
    raw.writeUInt32BE(10_000_001, 33);
    const body = raw.toString('base64').replace(/(.{96})/g, '$1\n');
    cases.push(['10,000,001 rounds', d.importRoomKeys(`-----BEGIN MEGOLM SESSION DATA-----\n${body}\n-----END MEGOLM SESSION DATA-----\n`, 'pw'), 'BAD_INPUT']);
    for (const [what, promise, code] of cases) {
      await assert.rejects(promise, (e) => {
        assert.equal(e.code, code, `${what}: ${e.code} ${e.message}`);
        return true;
      });
    }
    await d.close();
  }
});
