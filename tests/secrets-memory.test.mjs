// Secrets do not linger in wasm memory (issue 11 §5, bridge parts): after
// the calls below, the test build's _debug.memory() (a copy of the
// instance's memory) is searched for the secrets they handled.
// - keys passed in or handed out (recovery key, backup key) are wiped from
//   Go's copies once the call has answered;
// - the direct-call exchange buffer and Go's copies of decrypted plaintexts
//   are wiped after each call (Olm and Megolm);
// - private keys reach node:crypto as raw bytes wrapped in PKCS#8 DER, never
//   as base64url JWK text left in Go's heap (the self-test key is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { initTest } from './helpers/debug-build.mjs';

const mx = await initTest();

async function occurrences(needle) {
  const mem = Buffer.from((await mx._debug.memory()).buffer);
  let n = 0;
  for (let i = mem.indexOf(needle); i !== -1; i = mem.indexOf(needle, i + 1)) n++;
  return n;
}

test('a recovery key encoded and decoded leaves no copy of the key in wasm memory', async () => {
  const key = randomBytes(32);
  const text = await mx.recoveryKey.encode(new Uint8Array(key));
  assert.deepEqual(Buffer.from(await mx.recoveryKey.decode(text)), key);
  assert.equal(await occurrences(key), 0);
});

test('a backup key made, used and passed in leaves no copy in wasm memory', async () => {
  const { privateKey, publicKey } = await mx.backup.createKey();
  const sessionData = { algorithm: 'm.megolm.v1.aes-sha2', session_key: 'x', sender_key: 'y' };
  const encrypted = await mx.backup.encrypt(publicKey, sessionData);
  assert.deepEqual(await mx.backup.decrypt(privateKey, encrypted), sessionData);
  assert.equal(await mx.backup.publicKey(privateKey), publicKey);
  assert.equal(await occurrences(Buffer.from(privateKey)), 0);
});

test('Megolm and Olm plaintexts are wiped from wasm memory (exchange buffer, answers) after their calls', async () => {
  const marker = `megolm-secret-${randomBytes(12).toString('hex')}`;
  const outbound = await mx.megolm.createOutboundSession();
  const inbound = await mx.megolm.createInboundSession(await outbound.sessionKey());
  const { plaintext } = await inbound.decrypt(await outbound.encrypt(JSON.stringify({ body: marker })));
  assert.ok(plaintext.includes(marker));
  assert.equal(await occurrences(Buffer.from(marker)), 0, 'Megolm plaintext left in wasm memory');

  const alice = await mx.olm.createAccount();
  const bob = await mx.olm.createAccount();
  await bob.generateOneTimeKeys(1);
  const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
  const toBob = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
  const first = `olm-prekey-${randomBytes(12).toString('hex')}`;
  const { session: fromAlice, plaintext: got } = await bob.createInboundSession(alice.identityKeys.curve25519, await toBob.encrypt(first));
  assert.equal(got, first);
  const second = `olm-reply-${randomBytes(12).toString('hex')}`;
  assert.equal(await toBob.decrypt(await fromAlice.encrypt(second)), second);
  assert.equal(await occurrences(Buffer.from(first)), 0, 'Olm pre-key plaintext left in wasm memory');
  assert.equal(await occurrences(Buffer.from(second)), 0, 'Olm plaintext left in wasm memory');
});

test('private keys go to node:crypto as bytes, not base64url JWK text', async () => {
  assert.equal(mx.nativeCrypto, true, 'this test needs the node:crypto host');
  // The host self-test imports the RFC 7748 §5.2 scalar at every start; the
  // JWK path left its base64url text in Go's heap.
  const scalar = Buffer.from('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'hex');
  assert.equal(await occurrences(Buffer.from(scalar.toString('base64url'))), 0);
  // And a signature made through the host still verifies.
  const account = await mx.olm.createAccount();
  const body = await account.keysForUpload('@a:example.org', 'DEV');
  assert.equal(await mx.signing.verify(body.device_keys, '@a:example.org', 'ed25519:DEV', account.identityKeys.ed25519), true);
});
