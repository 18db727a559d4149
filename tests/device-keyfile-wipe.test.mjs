// The key derived from a key file's passphrase (WebCrypto, then handed to
// Go) does not stay in wasm memory after importRoomKeys / exportRoomKeys:
// the loader zeroes its copy and Go wipes its own (issue 11 §5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';

// Keep a handle on the module's memory, before the loader instantiates it.
const memories = [];
const realInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async (...args) => {
  const out = await realInstantiate.apply(WebAssembly, args);
  const instance = out.instance ?? out;
  if (instance.exports?.mem) memories.push(instance.exports.mem);
  return out;
};
const { init } = await import('mxcrypto');
const mx = await init();
WebAssembly.instantiate = realInstantiate;

/** Where needle occurs in any instance's memory (count). */
function occurrences(needle) {
  let n = 0;
  for (const mem of memories) {
    const hay = Buffer.from(mem.buffer);
    for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
  }
  return n;
}

function fileKey(file, passphrase) {
  const raw = Buffer.from(file.split('\n').slice(1, -2).join(''), 'base64');
  return pbkdf2Sync(passphrase, raw.subarray(1, 17), raw.readUInt32BE(33), 64, 'sha512');
}

test('key file keys are wiped from wasm memory after export and import', async () => {
  const open = (deviceId, n) => mx.openDevice({ userId: '@w:example.org', deviceId, store: `wipe-${deviceId}`, backend: 'memory', storeKey: new Uint8Array(32).fill(n) });
  const alice = await open('A', 1);
  await alice.encryptRoomEvent('!w:example.org', 'm.room.message', { body: 'x' });
  const file = await alice.exportRoomKeys('a passphrase', { iterations: 5000 });
  const key = fileKey(file, 'a passphrase');
  assert.equal(memories.length, 1);
  // The control: the same scan finds a key that is in memory.
  assert.ok(occurrences(Buffer.from(alice.identityKeys.ed25519, 'base64')) > 0, 'the scan sees what memory holds');
  assert.equal(occurrences(key.subarray(0, 32)), 0, 'AES key of the export left in memory');
  assert.equal(occurrences(key.subarray(32)), 0, 'HMAC key of the export left in memory');
  const bob = await open('B', 2);
  assert.equal((await bob.importRoomKeys(file, 'a passphrase')).imported, 1);
  await assert.rejects(bob.importRoomKeys(file, 'wrong passphrase'), (e) => e.code === 'BAD_MAC');
  assert.equal(occurrences(key.subarray(0, 32)), 0, 'AES key of the import left in memory');
  assert.equal(occurrences(key.subarray(32)), 0, 'HMAC key of the import left in memory');
  const wrong = fileKey(file, 'wrong passphrase');
  assert.equal(occurrences(wrong.subarray(32)), 0, 'the wrong passphrase\'s key left in memory');
  await alice.close();
  await bob.close();
});
