// Worker for backup.decryptMany and Device.restoreBackup on large bodies:
// loads its own mxcrypto instance from the compiled module it is sent, then
// decrypts the slices of entries it is sent (for a restore, into prepared
// room keys), asking for the next slice as each is done. The main thread
// sends a slice or two ahead, so the worker never holds its whole share.
//
// Messages in: { module, webCrypto, privateKey, restore } first, then
// { entries } slices, then { end }. Out: { progress }, { batch, codes }
// (restore), { need } after each slice, then { result } or { error }.
import { init } from './index.mjs';
import { isNode } from './env.mjs';

const port = isNode ? (await import('node:worker_threads')).parentPort : globalThis;
const post = (m, transfer) => port.postMessage(m, transfer);

let ready;
let job;
const queue = [];
let ended = false;
let running = false;
let finished = false;

async function start({ module, webCrypto, privateKey, restore }) {
  job = { mx: await init({ wasm: module, webCrypto }), privateKey, restore, done: 0, sessions: [], failures: [] };
}

async function pump() {
  if (running || finished) return;
  running = true;
  try {
    await ready;
    for (;;) {
      if (queue.length) {
        await work(queue.shift());
        post({ need: true });
      } else {
        if (ended) {
          finished = true;
          post({ result: job.restore ? null : { sessions: job.sessions, failures: job.failures } });
          job.privateKey.fill(0);
        }
        break;
      }
    }
  } catch (e) {
    finished = true;
    job?.privateKey.fill(0);
    post({ error: { code: e?.code ?? 'INTERNAL', message: String(e?.message ?? e) } });
  } finally {
    running = false;
  }
}

async function work(entries) {
  const { mx, privateKey } = job;
  const base = job.done;
  const progress = (done) => post({ progress: base + done });
  if (job.restore) {
    // Prepared batches go out as they are made; the buffer moves, no copy stays here.
    const send = (batch, codes) => post({ batch, codes }, batch.byteLength === batch.buffer.byteLength ? [batch.buffer] : []);
    await mx.backup._prepareEntries(privateKey, entries, send, progress);
  } else {
    const r = await mx.backup._decryptEntries(privateKey, entries, progress);
    for (const s of r.sessions) job.sessions.push(s);
    for (const f of r.failures) job.failures.push(f);
  }
  job.done += entries.length;
}

function onMessage(msg) {
  if (msg.module) ready = start(msg);
  else if (msg.entries) queue.push(msg.entries);
  else if (msg.end) ended = true;
  pump();
}

if (isNode) port.on('message', onMessage);
else port.onmessage = (ev) => onMessage(ev.data);
