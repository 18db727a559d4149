// The core build (mxcrypto-core.wasm): the crypto APIs without the store and
// device APIs, which reject with NOT_LOADED and a pointer to the full module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

const core = await init({ wasm: new URL('../dist/mxcrypto-core.wasm', import.meta.url) });

test('core build: Olm, Megolm, backup and secret storage work', async () => {
  const out = await core.megolm.createOutboundSession();
  const inb = await core.megolm.createInboundSession(await out.sessionKey());
  assert.equal((await inb.decrypt(await out.encrypt('room'))).plaintext, 'room');
  const alice = await core.olm.createAccount();
  const bob = await core.olm.createAccount();
  await bob.generateOneTimeKeys(1);
  const s = await alice.createOutboundSession(bob.identityKeys.curve25519, Object.values(await bob.unpublishedOneTimeKeys())[0]);
  assert.equal((await bob.createInboundSession(alice.identityKeys.curve25519, await s.encrypt('1:1'))).plaintext, '1:1');
  const key = await core.backup.createKey();
  const enc = await core.backup.encrypt(key.publicKey, { session_key: 'k' });
  assert.deepEqual(await core.backup.decrypt(key.privateKey, enc), { session_key: 'k' });
  assert.equal(core.nativeCrypto, true);
});

test('core build: the device API says which module has it', async () => {
  await assert.rejects(
    core.openDevice({ userId: '@a:example.org', deviceId: 'DEV', store: 'core-test', backend: 'memory', storeKey: new Uint8Array(32) }),
    (e) => e.code === 'NOT_LOADED' && /mxcrypto\.wasm/.test(e.message),
  );
});
