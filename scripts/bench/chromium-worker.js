// The dedicated Worker of the Chromium benchmark (started by chromium.html
// with ?worker): loads mxcrypto, libolm and matrix-sdk-crypto-wasm here and
// answers { id, w, impl } with { id, opsPerSecond } of one round (or
// { id, error }). It first posts { workloads } when loaded, or { error }.
// A classic worker: libolm is an emscripten script for importScripts; the
// ES modules come in with import().
'use strict';

// libolm takes its randomness from window.crypto and has no Worker branch
// (without window it reaches for Node's require); give it only that.
self.window = { crypto: self.crypto };

const params = new URL(location.href).searchParams;
const ready = (async () => {
  importScripts('/node_modules/@matrix-org/olm/olm.js');
  const mx = (async () => (await import('/dist/index.mjs')).init())();
  const before = params.has('before') ? (async () => (await import('/dist-before/index.mjs')).init())() : null;
  const olm = self.Olm.init({ locateFile: () => '/node_modules/@matrix-org/olm/olm.wasm' }).then(() => self.Olm);
  const rust = (async () => {
    const r = await import('/node_modules/@matrix-org/matrix-sdk-crypto-wasm/index.mjs');
    await r.initAsync();
    return r;
  })();
  const { benchOf } = await import('/scripts/bench/chromium-bench.mjs');
  return benchOf({ mx: await mx, Olm: await olm, rust: await rust }, await before);
})();

const message = (e) => `${e?.code ?? ''} ${e?.message ?? e}`;
ready.then((bench) => postMessage({ workloads: bench.workloads }), (e) => postMessage({ error: message(e) }));

self.onmessage = async ({ data: { id, w, impl } }) => {
  try {
    const bench = await ready;
    postMessage({ id, opsPerSecond: await bench.round(w, impl) });
  } catch (e) {
    postMessage({ id, error: message(e) });
  }
};
