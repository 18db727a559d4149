// Loads the module under test and the peer implementations, once per test
// process (node --test runs every test file in its own process).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let mxPromise;
/** The mxcrypto API: `init()` from the package (dist/index.mjs) with the default wasm path. */
export function loadMx() {
  mxPromise ??= import('mxcrypto').then(({ init }) => init());
  return mxPromise;
}

let mxGoPromise;
/**
 * The mxcrypto API with `webCrypto: false`: every operation runs in Go. In
 * Node the default instance derives PBKDF2 keys and does decryptMany's
 * X25519 with WebCrypto, so the Go implementations are only reached this way.
 */
export function loadMxGoOnly() {
  mxGoPromise ??= import('mxcrypto').then(({ init }) => init({ webCrypto: false }));
  return mxGoPromise;
}

let olmPromise;
/** libolm 3.2.15 (@matrix-org/olm), initialised. */
export function loadOlm() {
  olmPromise ??= (async () => {
    const Olm = require('@matrix-org/olm');
    await Olm.init();
    return Olm;
  })();
  return olmPromise;
}

let rustPromise;
/** matrix-sdk-crypto-wasm 18.9.0 (vodozemac inside), initialised. */
export function loadRustSdk() {
  rustPromise ??= (async () => {
    const sdk = await import('@matrix-org/matrix-sdk-crypto-wasm');
    await sdk.initAsync();
    return sdk;
  })();
  return rustPromise;
}
