// The loader's steps, each [start, end] in ms of performance.now(): the
// WebAssembly calls it makes and the synchronous part of the Go program's
// run (runtime start, package init, main up to handing out the API). Shared
// by the bench page (chromium.html) and ready-phases.mjs's Node child.
// importWasmExec loads Go's wasm_exec.js the way the loader would.
export async function timePhases(P, importWasmExec) {
  const wrap = (key) => {
    const o = WebAssembly[key];
    WebAssembly[key] = async function (...a) {
      const t = performance.now();
      try { return await o.apply(this, a); } finally { P[key] = [t, performance.now()]; }
    };
  };
  for (const k of ['compileStreaming', 'compile', 'instantiate']) wrap(k);
  const t = performance.now();
  await importWasmExec();
  P.wasmExec = [t, performance.now()];
  const run = globalThis.Go.prototype.run;
  globalThis.Go.prototype.run = function (i) {
    const s = performance.now();
    const r = run.call(this, i);
    P.goRun = [s, performance.now()];
    return r;
  };
  return P;
}
