// The test build of the module (scripts/build.mjs: -tags mxcrypto_debug),
// which adds _debug (panic, exit, sleep) for the tests that prove the
// failure handling. dist/mxcrypto.wasm, the module users load, has none.
import { init } from 'mxcrypto';

export const TEST_WASM = new URL('../../dist/mxcrypto-test.wasm', import.meta.url);

/** init() with the test build; options as init's. */
export function initTest(options = {}) {
  return init({ wasm: TEST_WASM, ...options });
}
