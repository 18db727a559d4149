// _debug (panic, exit, sleep) is in the test build only (issue 12): the
// modules users load cannot be told to stop, and the public types do not
// mention it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { init } from 'mxcrypto';
import { initTest } from './helpers/debug-build.mjs';

const dist = (f) => new URL(`../dist/${f}`, import.meta.url);

test('dist/mxcrypto.wasm and dist/mxcrypto-core.wasm contain no _debug; the test build does', async () => {
  for (const f of ['mxcrypto.wasm', 'mxcrypto-core.wasm']) {
    const bytes = await readFile(dist(f));
    assert.equal(bytes.indexOf('_debug'), -1, `${f} contains _debug`);
    assert.equal(bytes.indexOf('forced panic for testing'), -1, `${f} contains the debug panic`);
  }
  assert.notEqual((await readFile(dist('mxcrypto-test.wasm'))).indexOf('_debug'), -1, 'the test build lacks _debug');
});

test('the API of the default module has no _debug; the test build has it', async () => {
  const mx = await init();
  assert.equal(mx._debug, undefined);
  assert.equal('_debug' in mx, false);
  const testing = await initTest();
  assert.equal(typeof testing._debug.sleep, 'function');
  assert.equal(await testing._debug.sleep(1), 1);
});

test('the public types do not mention _debug', async () => {
  for (const f of [new URL('../jsbridge/js/index.d.ts', import.meta.url), dist('index.d.ts')]) {
    assert.doesNotMatch(await readFile(f, 'utf8'), /_debug/);
  }
});
