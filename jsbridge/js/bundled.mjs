// The package entry for bundlers and Workers (export conditions workerd,
// worker, browser): the Go runtime is imported statically, so a bundler
// (wrangler, esbuild, Vite) includes it, and index.mjs then skips its own
// import by computed URL, which bundlers cannot follow. Pass the module
// itself: `init({ wasm })` with `import wasm from 'mxcrypto/mxcrypto.wasm'`.
import './wasm_exec.js';

export * from './index.mjs';
