// The restore benchmark: device.restoreBackup of n keys end to end (decrypt
// and persist) in Node (IndexedDB from fake-indexeddb) and in headless
// Chromium (real IndexedDB), beside the way matrix-js-sdk restores with
// matrix-sdk-crypto-wasm (decryptV1 per key, importBackedUpRoomKeys in
// chunks of 200). Prints rows through the given row function.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { init } from 'mxcrypto';
import { restoreBody } from './restore-body.mjs';
import { serveRepo } from '../../tests/helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// BENCH_RESTORE_RUNS=node,rust,chromium picks the runs (default: all);
// BENCH_RESTORE_WORKERS sets restoreBackup's workers option (default: its own choice);
// BENCH_CHROMIUM_FLAGS adds Chromium flags, e.g. "--js-flags=--max-old-space-size=224" to see
// the renderer's memory when V8 cannot leave garbage uncollected.
const workers = process.env.BENCH_RESTORE_WORKERS ? Number(process.env.BENCH_RESTORE_WORKERS) : undefined;

/** Peak RSS while fn runs, sampled every 50 ms. */
async function withPeakRss(fn) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  try {
    const result = await fn();
    return { result, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

export async function benchRestore(row, n) {
  const G = `restore ×${n}`;
  const { privateKey, publicKey, body } = await restoreBody(n);
  const total = Object.values(body.rooms).reduce((s, r) => s + Object.keys(r.sessions).length, 0);
  const MiB = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const runs = new Set((process.env.BENCH_RESTORE_RUNS ?? 'node,rust,chromium').split(','));
  let ms = 0;

  // mxcrypto in Node.
  if (runs.has('node')) {
    await import('fake-indexeddb/auto');
    const mx = await init();
    const device = await mx.openDevice({ userId: '@bench:example.org', deviceId: 'BENCH', store: `restore-${Date.now()}`, backend: 'indexeddb', dbName: 'bench-restore', storeKey: new Uint8Array(32).fill(3) });
    await device.enableBackup({ version: '1', publicKey });
    const key = Buffer.from(privateKey, 'base64');
    let events = 0;
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const { result, peak } = await withPeakRss(() => device.restoreBackup(new Uint8Array(key), body, { workers, onProgress: () => { events++; } }));
    ms = performance.now() - t0;
    if (result.imported !== total) throw new Error(`restore imported ${result.imported} of ${total}: ${JSON.stringify(result)}`);
    row(G, 'mxcrypto restoreBackup, Node (fake-indexeddb)', ms, 'ms', `${events} progress events; RSS peak ${MiB(peak)} (+${MiB(peak - before)}), wasm memory ${MiB(mx.wasmMemoryBytes)}`);
    const counts = await device.roomKeyCounts();
    if (counts.total !== total) throw new Error(`store holds ${counts.total} sessions, want ${total}`);
    await device.close();
  }

  // matrix-js-sdk's way, with matrix-sdk-crypto-wasm.
  if (runs.has('rust')) {
    const rust = await import('@matrix-org/matrix-sdk-crypto-wasm');
    await rust.initAsync();
    const machine = await rust.OlmMachine.initialize(new rust.UserId('@bench:example.org'), new rust.DeviceId('RUST'));
    const decryptionKey = rust.BackupDecryptionKey.fromBase64(privateKey);
    const entries = [];
    for (const [roomId, room] of Object.entries(body.rooms)) for (const [sessionId, s] of Object.entries(room.sessions)) entries.push([roomId, sessionId, s]);
    const r0 = performance.now();
    const rr = await withPeakRss(async () => {
      let imported = 0;
      for (let i = 0; i < entries.length; i += 200) {
        const byRoom = new Map();
        for (const [roomId, sessionId, s] of entries.slice(i, i + 200)) {
          const d = s.session_data;
          const data = JSON.parse(decryptionKey.decryptV1(d.ephemeral, d.mac, d.ciphertext));
          const rid = new rust.RoomId(roomId);
          let m = [...byRoom.keys()].find((k) => k.toString() === roomId);
          if (!m) byRoom.set((m = rid), new Map());
          byRoom.get(m).set(sessionId, data);
        }
        const res = await machine.importBackedUpRoomKeys(byRoom, () => {}, '1');
        imported += res.importedCount;
      }
      return imported;
    });
    const rustMs = performance.now() - r0;
    if (rr.result !== total) throw new Error(`matrix-sdk-crypto-wasm imported ${rr.result} of ${total}`);
    row(G, 'matrix-sdk-crypto-wasm, js-sdk style (Node, memory store)', rustMs, 'ms', `RSS peak ${MiB(rr.peak)}`);
    if (ms) row(G, 'mxcrypto vs js-sdk style', `×${(rustMs / ms).toFixed(2)}`, 'size');
    machine.close();
  }

  // mxcrypto in Chromium.
  if (!runs.has('chromium') || process.env.BENCH_RESTORE_CHROMIUM === '0' || !existsSync(CHROMIUM)) return;
  const chromium = await inChromium(n, { privateKey, publicKey, body });
  row(G, 'mxcrypto restoreBackup, Chromium (IndexedDB)', chromium.ms, 'ms', `(target ≤ 30 s) ${chromium.events} progress events`);
  row(G, 'Chromium: memory the restore added', `${MiB(chromium.rssPeak - chromium.rssBefore)}`, 'size',
    `(target ≤ 300 MB) renderer RSS ${MiB(chromium.rssBefore)} with the body loaded, peak ${MiB(chromium.rssPeak)}; wasm memory ${MiB(chromium.wasm)}, page JS heap +${MiB(chromium.jsHeapPeak - chromium.jsHeapBefore)} at peak`);
}

/**
 * The resident memory of Chromium's renderer processes under pid (the page and
 * its workers, which are threads of the renderer), from /proc; 0 elsewhere.
 */
function rendererRss(pid) {
  try {
    const parent = new Map();
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch { /* gone */ }
    }
    const under = (p) => { for (let q = p; q > 1; q = parent.get(q) ?? 0) if (q === pid) return true; return false; };
    let rss = 0;
    for (const p of parent.keys()) {
      if (!under(p)) continue;
      try {
        if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer')) continue;
        rss += Number(readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
      } catch { /* gone */ }
    }
    return rss;
  } catch {
    return 0;
  }
}

async function inChromium(n, data) {
  const { url: page, server } = await serveRepo('scripts/bench/restore.html', { '/restore.json': JSON.stringify(data) });
  const url = process.env.BENCH_RESTORE_WORKERS ? `${page}?workers=${process.env.BENCH_RESTORE_WORKERS}` : page;
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-bench-restore-'));
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', ...(process.env.BENCH_CHROMIUM_FLAGS ? process.env.BENCH_CHROMIUM_FLAGS.split(' ') : []), `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0', url]);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('restore in Chromium: no result in 10 minutes')), 600_000);
      let buf = '';
      let rssBefore = 0;
      let rssPeak = 0;
      const sampler = setInterval(() => { if (rssBefore) rssPeak = Math.max(rssPeak, rendererRss(browser.pid)); }, 100);
      browser.stderr.on('data', (d) => {
        buf += d;
        if (!rssBefore && buf.includes('"BEFORE"')) rssBefore = rssPeak = rendererRss(browser.pid);
        const m = buf.match(/"RESULT ([^"]*)"/) ?? buf.match(/"ERROR ([^"]*)"/);
        if (!m) return;
        clearTimeout(timer);
        clearInterval(sampler);
        if (m[0].includes('ERROR')) reject(new Error(`restore in Chromium: ${m[1]}`));
        else resolve({ ...Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)])), rssBefore, rssPeak });
      });
      browser.on('exit', (code) => reject(new Error(`chromium exited (${code})`)));
    });
  } finally {
    browser.kill();
    server.close();
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}
