// Runs the mxcrypto API in a worker thread whose globalThis.crypto has no
// `subtle` (only getRandomValues), so the loader cannot take its WebCrypto
// fast paths (PBKDF2, X25519 in decryptMany) and the Go implementations are
// exercised instead. In Node the normal API would otherwise never reach them.
//
// Main thread: `const mx = await loadMxWithoutWebCrypto()` gives an object
// with the same shape as the API (functions only; no onProgress callbacks).
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { getRandomValues } from 'node:crypto';

if (!isMainThread && parentPort) {
  // ---- worker side ----
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: (a) => getRandomValues(a) },
    configurable: true,
    writable: true,
  });
  const ready = import('../../jsbridge/index.mjs').then(({ init }) => init());
  parentPort.on('message', async ({ id, path, args }) => {
    try {
      const mx = await ready;
      if (path === '__hasSubtle') {
        parentPort.postMessage({ id, ok: true, value: Boolean(globalThis.crypto?.subtle) });
        return;
      }
      const parts = path.split('.');
      const fn = parts.reduce((o, k) => o[k], mx);
      const self = parts.slice(0, -1).reduce((o, k) => o[k], mx);
      const value = await fn.apply(self, args);
      parentPort.postMessage({ id, ok: true, value });
    } catch (e) {
      parentPort.postMessage({
        id,
        ok: false,
        isError: e instanceof Error,
        name: e?.name,
        code: e?.code,
        message: e?.message ?? String(e),
      });
    }
  });
}

const API = {
  recoveryKey: ['encode', 'decode'],
  passphrase: ['deriveKey'],
  secretStorage: ['createKey', 'checkKey', 'encrypt', 'decrypt', 'encryptCurve25519', 'decryptCurve25519'],
  backup: ['createKey', 'publicKey', 'encrypt', 'decrypt', 'decryptMany'],
  signing: ['verify'],
};

let proxyPromise;
/** The API, running in a worker without WebCrypto `subtle`. The worker is unref'd. */
export function loadMxWithoutWebCrypto() {
  proxyPromise ??= (async () => {
    const worker = new Worker(new URL(import.meta.url));
    worker.unref();
    let seq = 0;
    const pending = new Map();
    worker.on('message', (msg) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (pending.size === 0) worker.unref();
      if (msg.ok) p.resolve(msg.value);
      else if (msg.isError) {
        const err = new Error(msg.message);
        err.name = msg.name;
        err.code = msg.code;
        p.reject(err);
      } else p.reject(msg.message);
    });
    worker.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    const call = (path, args) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve, reject });
        worker.ref();
        // Options objects may carry functions (onProgress); they cannot cross threads.
        const clean = args.map((a) =>
          a && typeof a === 'object' && !(a instanceof Uint8Array) && Object.values(a).some((v) => typeof v === 'function')
            ? Object.fromEntries(Object.entries(a).filter(([, v]) => typeof v !== 'function'))
            : a,
        );
        worker.postMessage({ id, path, args: clean });
      });
    const mx = { canonicalJSON: (...a) => call('canonicalJSON', a), hasSubtle: () => call('__hasSubtle', []) };
    for (const [ns, fns] of Object.entries(API)) {
      mx[ns] = {};
      for (const f of fns) mx[ns][f] = (...a) => call(`${ns}.${f}`, a);
    }
    return mx;
  })();
  return proxyPromise;
}
