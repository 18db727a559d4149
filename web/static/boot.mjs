// Starts the page: mxcrypto's loader (its own wasm instance) is handed to the
// page's Go program as globalThis.mxcryptoInit, then the page's wasm runs.
// Both modules use this one wasm_exec.js (the same Go version built both).
import { init } from './mxcrypto/index.mjs';

globalThis.mxcryptoInit = () => init({ wasm: new URL('./mxcrypto/mxcrypto.wasm', import.meta.url) });
const go = new globalThis.Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch(new URL('./page.wasm', import.meta.url)), go.importObject);
go.run(instance);
