// The bridge's failure handling: panics, exits, concurrency, argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { init } from 'mxcrypto';
import { initTest } from './helpers/debug-build.mjs';

const mx = await initTest();

test('a Go panic rejects with INTERNAL and the instance keeps working', async () => {
  await assert.rejects(mx._debug.panic(), (e) => e instanceof Error && e.code === 'INTERNAL' && /bug in mxcrypto/.test(e.message));
  const key = new Uint8Array(32).fill(7);
  const text = await mx.recoveryKey.encode(key);
  assert.deepEqual(await mx.recoveryKey.decode(text), key);
});

test('1,000 concurrent calls all settle with the right results', async () => {
  const keys = Array.from({ length: 1000 }, (_, i) => new Uint8Array(32).fill(i & 0xff).map((b, j) => b ^ j));
  const calls = keys.map((k, i) => (i % 10 === 0 ? mx._debug.panic() : mx.recoveryKey.encode(k)));
  const settled = await Promise.allSettled(calls);
  assert.equal(settled.length, 1000);
  for (const [i, s] of settled.entries()) {
    if (i % 10 === 0) {
      assert.equal(s.status, 'rejected');
      assert.equal(s.reason.code, 'INTERNAL');
    } else {
      assert.equal(s.status, 'fulfilled');
      assert.deepEqual(await mx.recoveryKey.decode(s.value), keys[i]);
    }
  }
});

test('when the Go program exits, pending calls reject and the next call restarts it', async () => {
  const pending = mx._debug.sleep(10_000);
  const exiting = mx._debug.exit(3);
  await assert.rejects(pending, (e) => e.code === 'INSTANCE_EXITED' && /exited with code 3/.test(e.message));
  await assert.rejects(exiting, (e) => e.code === 'INSTANCE_EXITED');
  assert.equal(await mx.canonicalJSON({ b: 2, a: 1 }), '{"a":1,"b":2}');
  // And again, to be sure a restarted instance can itself be restarted.
  await assert.rejects(mx._debug.exit(1), (e) => e.code === 'INSTANCE_EXITED');
  assert.equal(await mx._debug.sleep(1), 1);
});

test('arguments are read when the call is made, not later', async () => {
  const key = new Uint8Array(32).fill(1);
  const p = mx.recoveryKey.encode(key);
  key.fill(2);
  assert.deepEqual(await mx.recoveryKey.decode(await p), new Uint8Array(32).fill(1));
});

test('wrong argument types reject with BAD_INPUT and a message naming the argument', async () => {
  const cases = [
    [() => mx.recoveryKey.encode('not bytes'), /key must be a Uint8Array/],
    [() => mx.recoveryKey.encode(new Uint8Array(31)), /key must be 32 bytes, got 31/],
    [() => mx.recoveryKey.decode(42), /text must be a string/],
    [() => mx.backup.decrypt(new Uint8Array(32), 'x'), /encrypted must be a plain object/],
    [() => mx.secretStorage.encrypt('s', new Uint8Array(32), undefined), /name must be a string/],
    [() => mx.backup.encrypt('hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo', { big: 10n }), /is a BigInt/],
    [() => mx.passphrase.deriveKey('p', 's', 1.5), /iterations must be an integer/],
    [() => mx.passphrase.deriveKey('p', 's', 0), /iterations must be between/],
    [() => mx.canonicalJSON(undefined), /value must be a JSON value/],
  ];
  for (const [call, re] of cases) {
    await assert.rejects(call(), (e) => e instanceof Error && e.code === 'BAD_INPUT' && re.test(e.message), String(re));
  }
  const cyclic = {};
  cyclic.self = cyclic;
  await assert.rejects(mx.signing.verify(cyclic, '@a:b', 'ed25519:X', 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo'), (e) => e.code === 'BAD_INPUT');
});

test('init accepts the module as a path, URL, bytes, Response and compiled module', async () => {
  const url = new URL('../dist/mxcrypto.wasm', import.meta.url);
  const bytes = await readFile(url);
  const sources = [url, url.href, url.pathname, bytes, new Uint8Array(bytes).buffer, new Response(bytes, { headers: { 'content-type': 'application/wasm' } }), await WebAssembly.compile(bytes)];
  for (const wasm of sources) {
    const api = await init({ wasm });
    assert.equal(await api.canonicalJSON([1]), '[1]');
  }
  await assert.rejects(init({ wasm: '/nonexistent/mxcrypto.wasm' }), (e) => e.code === 'NOT_LOADED' && /npm run build/.test(e.message));
  await assert.rejects(init({ wasm: 42 }), (e) => e.code === 'BAD_INPUT');
});
