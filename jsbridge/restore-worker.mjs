// Worker for backup.decryptMany on large bodies: loads its own mxcrypto
// instance from the compiled module it is sent and decrypts one slice.
import { init } from './index.mjs';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const port = isNode ? (await import('node:worker_threads')).parentPort : globalThis;
const post = (m) => port.postMessage(m);

async function run({ module, webCrypto, privateKey, entries }) {
  try {
    const mx = await init({ wasm: module, webCrypto });
    const result = await mx.backup._decryptEntries(privateKey, entries, (done) => post({ progress: done }));
    post({ result });
  } catch (e) {
    post({ error: { code: e?.code ?? 'INTERNAL', message: String(e?.message ?? e) } });
  } finally {
    privateKey.fill(0);
  }
}

if (isNode) port.once('message', run);
else port.onmessage = (ev) => run(ev.data);
