// The store key does not outlive the store: one cipher per open store,
// wiped by close(). The test watches WebAssembly.instantiate for the
// instance's memory and, after close(), scans all of it for the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const memories = [];
const realInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async (...args) => {
  const out = await realInstantiate(...args);
  const instance = out instanceof WebAssembly.Instance ? out : out.instance;
  if (instance?.exports?.mem) memories.push(instance.exports.mem);
  return out;
};
const { init } = await import('mxcrypto');
const mx = await init();

// copies counts where the 32 bytes of key occur in the instance's memory.
function copies(key) {
  const mem = new Uint8Array(memories.at(-1).buffer);
  let n = 0;
  for (let i = mem.indexOf(key[0]); i !== -1 && i <= mem.length - key.length; i = mem.indexOf(key[0], i + 1)) {
    let j = 1;
    while (j < key.length && mem[i + j] === key[j]) j++;
    if (j === key.length) n++;
  }
  return n;
}

test('no copy of a store key is left in wasm memory after close()', async (t) => {
  assert.equal(memories.length, 1, 'the instance was seen');
  const dir = mkdtempSync(join(tmpdir(), 'mx-wipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const backend of ['memory', 'fs']) {
    const key = randomBytes(32);
    const opts = { name: `wipe-${backend}`, backend, ...(backend === 'fs' ? { path: dir } : {}), storeKey: key };
    const s = await mx.store.open(opts);
    for (let i = 0; i < 200; i++) await s.put('value', [`v${i}`], randomBytes(100));
    const sessions = Array.from({ length: 500 }, (_, i) => ({ roomId: '!r', sessionId: `s${i}`, firstKnownIndex: 0, state: randomBytes(64), backedUp: false }));
    await s.putInbound(sessions);
    assert.equal((await s.get('value', ['v7'])).length, 100);
    await s.close();
    const again = await mx.store.open(opts); // reads every kind of file
    assert.equal((await again.counts()).total, 500);
    await again.close();
    assert.equal(copies(key), 0, `${backend}: copies of the store key in wasm memory after close()`);
  }
  // The device API over its store.
  const key = randomBytes(32);
  const dev = await mx.openDevice({ userId: '@w:example.org', deviceId: 'W', store: 'wipe-device', backend: 'memory', storeKey: key });
  await dev.keysForUpload();
  await dev.encryptRoomEvent('!room:example.org', 'm.room.message', { body: 'x' });
  await dev.close();
  assert.equal(copies(key), 0, 'device: copies of the store key in wasm memory after close()');
});

test('the scan finds a key that is still in use', async () => {
  // The control: while a store is open its cipher holds the key, and the
  // scan sees it (so a 0 above means wiped, not missed).
  const key = randomBytes(32);
  const s = await mx.store.open({ name: 'wipe-open', backend: 'memory', storeKey: key });
  await s.put('value', ['a'], new Uint8Array([1]));
  assert.ok(copies(key) >= 1, 'the open store\'s key is in memory');
  await s.close();
  assert.equal(copies(key), 0);
});
