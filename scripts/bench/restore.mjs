// The restore benchmark: device.restoreBackup of n keys end to end (decrypt
// and persist) in Node (IndexedDB from fake-indexeddb) and in headless
// Chromium (real IndexedDB), beside the way matrix-js-sdk restores with
// matrix-sdk-crypto-wasm (decryptV1 per key, importBackedUpRoomKeys in
// chunks of 200). Prints rows through the given row function.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { init } from '../../jsbridge/index.mjs';
import { restoreBody } from './restore-body.mjs';
import { serveRepo } from '../../tests/helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

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

  // mxcrypto in Node.
  await import('fake-indexeddb/auto');
  const mx = await init();
  const device = await mx.openDevice({ userId: '@bench:example.org', deviceId: 'BENCH', store: `restore-${Date.now()}`, backend: 'indexeddb', dbName: 'bench-restore', storeKey: new Uint8Array(32).fill(3) });
  await device.enableBackup({ version: '1', publicKey });
  const key = Buffer.from(privateKey, 'base64');
  let events = 0;
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const { result, peak } = await withPeakRss(() => device.restoreBackup(new Uint8Array(key), body, { onProgress: () => { events++; } }));
  const ms = performance.now() - t0;
  if (result.imported !== total) throw new Error(`restore imported ${result.imported} of ${total}: ${JSON.stringify(result)}`);
  row(G, 'mxcrypto restoreBackup, Node (fake-indexeddb)', ms, 'ms', `${events} progress events; RSS peak ${MiB(peak)} (+${MiB(peak - before)}), wasm memory ${MiB(mx.wasmMemoryBytes)}`);
  const counts = await device.roomKeyCounts();
  if (counts.total !== total) throw new Error(`store holds ${counts.total} sessions, want ${total}`);
  await device.close();

  // matrix-js-sdk's way, with matrix-sdk-crypto-wasm.
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
  row(G, 'mxcrypto vs js-sdk style', `×${(rustMs / ms).toFixed(2)}`, 'size');
  machine.close();

  // mxcrypto in Chromium.
  if (process.env.BENCH_RESTORE_CHROMIUM === '0' || !existsSync(CHROMIUM)) return;
  const chromium = await inChromium(n, { privateKey, publicKey, body });
  row(G, 'mxcrypto restoreBackup, Chromium (IndexedDB)', chromium.ms, 'ms', `(target ≤ 30 s) ${chromium.events} progress events; wasm memory ${MiB(chromium.wasm)}, JS heap after ${MiB(chromium.jsHeap)}`);
}

async function inChromium(n, data) {
  const { url, server } = await serveRepo('scripts/bench/restore.html', { '/restore.json': JSON.stringify(data) });
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-bench-restore-'));
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--remote-debugging-port=0', url]);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('restore in Chromium: no result in 10 minutes')), 600_000);
      let buf = '';
      browser.stderr.on('data', (d) => {
        buf += d;
        const m = buf.match(/"RESULT ([^"]*)"/) ?? buf.match(/"ERROR ([^"]*)"/);
        if (!m) return;
        clearTimeout(timer);
        if (m[0].includes('ERROR')) reject(new Error(`restore in Chromium: ${m[1]}`));
        else resolve(Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)])));
      });
      browser.on('exit', (code) => reject(new Error(`chromium exited (${code})`)));
    });
  } finally {
    browser.kill();
    server.close();
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}
