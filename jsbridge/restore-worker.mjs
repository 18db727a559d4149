// Worker for backup.decryptMany and Device.restoreBackup on large bodies:
// loads its own mxcrypto instance from the compiled module it is sent and
// decrypts one slice (for a restore, into prepared room keys).
import { init } from './index.mjs';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const port = isNode ? (await import('node:worker_threads')).parentPort : globalThis;
const post = (m, transfer) => port.postMessage(m, transfer);

async function run({ module, webCrypto, privateKey, entries, restore }) {
  try {
    const mx = await init({ wasm: module, webCrypto });
    const progress = (done) => post({ progress: done });
    if (restore) {
      // Prepared batches go out as they are made; the buffer moves, no copy stays here.
      await mx.backup._prepareEntries(privateKey, entries, (batch, codes) => post({ batch, codes }, batch.byteLength === batch.buffer.byteLength ? [batch.buffer] : []), progress);
      post({ result: null });
    } else {
      post({ result: await mx.backup._decryptEntries(privateKey, entries, progress) });
    }
  } catch (e) {
    post({ error: { code: e?.code ?? 'INTERNAL', message: String(e?.message ?? e) } });
  } finally {
    privateKey.fill(0);
  }
}

if (isNode) port.once('message', run);
else port.onmessage = (ev) => run(ev.data);
