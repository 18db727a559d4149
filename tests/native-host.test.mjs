// Node's crypto lent to Go (internal/accel) and direct calls (jsbridge/direct.go)
// must change nothing but speed: the same bytes as Go alone, the same error
// codes, state untouched by failures, and survival of a dead instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';
import { initTest } from './helpers/debug-build.mjs';

const native = await init();
const goOnly = await init({ webCrypto: false });
const key = new Uint8Array(32).fill(7);

test('node:crypto is lent to Go in Node, and not with webCrypto: false', () => {
  assert.equal(native.nativeCrypto, true);
  assert.equal(goOnly.nativeCrypto, false);
  assert.ok(native.wasmMemoryBytes >= 1 << 20 && native.wasmMemoryBytes % 65536 === 0, 'wasm memory is whole 64 KiB pages');
});

test('Megolm: the same session state encrypts to the same bytes with and without the host', async () => {
  const out = await native.megolm.createOutboundSession();
  await out.encrypt('warm up');
  const pickle = await out.pickle(key);
  const a = await native.megolm.unpickleOutboundSession(pickle, key);
  const b = await goOnly.megolm.unpickleOutboundSession(pickle, key);
  for (const text of ['', 'x', 'é'.repeat(300), '\uFEFFbom first', 'y'.repeat(5000)]) {
    assert.equal(await a.encrypt(text), await b.encrypt(text));
  }
  const inbA = await native.megolm.createInboundSession(await a.sessionKey());
  const inbB = await goOnly.megolm.createInboundSession(await b.sessionKey());
  const msg = await a.encrypt('\uFEFFhello');
  assert.deepEqual(await inbA.decrypt(msg), await inbB.decrypt(msg));
  assert.equal((await inbA.decrypt(msg)).plaintext, '\uFEFFhello');
});

test('Olm: a session shared by both instances encrypts identically; each decrypts the other', async () => {
  const alice = await native.olm.createAccount();
  const bob = await goOnly.olm.createAccount();
  await bob.generateOneTimeKeys(1);
  const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
  const s = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
  const pickle = await s.pickle(key);
  const sa = await native.olm.unpickleSession(pickle, key);
  const sb = await goOnly.olm.unpickleSession(pickle, key);
  const m1 = await sa.encrypt('first');
  assert.deepEqual(await sb.encrypt('first'), m1);
  const { session: bs, plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, m1);
  assert.equal(plaintext, 'first');
  // Replies make new ratchet keys (X25519 through the host on one side, Go on the other).
  for (let i = 0; i < 6; i++) {
    const [from, to] = i % 2 ? [sa, bs] : [bs, sa];
    const text = `m${i} ${'z'.repeat(i * 200)}`;
    assert.equal(await to.decrypt(await from.encrypt(text)), text);
  }
});

test('direct calls keep the error codes, and a failure changes nothing', async () => {
  const out = await native.megolm.createOutboundSession();
  const inb = await native.megolm.createInboundSession(await out.sessionKey());
  const m0 = await out.encrypt('zero');
  await assert.rejects(inb.decrypt('not base64!'), (e) => e.code === 'BAD_MESSAGE' && e instanceof Error);
  await assert.rejects(inb.decrypt(42), (e) => e.code === 'BAD_INPUT' && /message/.test(e.message));
  assert.deepEqual(await inb.decrypt(m0), { plaintext: 'zero', messageIndex: 0 });

  const alice = await native.olm.createAccount();
  const bob = await native.olm.createAccount();
  await bob.generateOneTimeKeys(1);
  const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
  await assert.rejects(alice.createOutboundSession('short', otk), (e) => e.code === 'BAD_INPUT' || e.code === 'BAD_BASE64');
  const s = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
  await assert.rejects(s.decrypt({ type: 1, body: 'AAAA' }), (e) => e.code === 'BAD_MESSAGE');
  await assert.rejects(s.decrypt({ type: 7, body: 'AAAA' }), (e) => e.code === 'BAD_INPUT');
  await assert.rejects(s.decrypt('nope'), (e) => e.code === 'BAD_INPUT');
  const m = await s.encrypt('hi');
  await assert.rejects(bob.createInboundSession(alice.identityKeys.curve25519, { type: 0, body: m.body.slice(0, 20) }), (e) => e.code === 'BAD_MESSAGE');
  assert.equal(await bob.oneTimeKeyCount(), 1, 'a failed inbound session keeps the one-time key');
  const { plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, m);
  assert.equal(plaintext, 'hi');
  assert.equal(await bob.oneTimeKeyCount(), 0);
});

test('overlapping calls on one session are serialised: no message index is used twice', async () => {
  const out = await native.megolm.createOutboundSession();
  const inb = await native.megolm.createInboundSession(await out.sessionKey());
  const msgs = await Promise.all(Array.from({ length: 50 }, (_, i) => out.encrypt(`p${i}`)));
  const got = await Promise.all(msgs.map((m) => inb.decrypt(m)));
  assert.deepEqual(got.map((g) => g.messageIndex), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(got.map((g) => g.plaintext), Array.from({ length: 50 }, (_, i) => `p${i}`));
});

test('direct calls work while an async call waits, and after the instance exits', async () => {
  const mx = await initTest();
  const out = await mx.megolm.createOutboundSession();
  const inb = await mx.megolm.createInboundSession(await out.sessionKey());
  const sleeping = mx._debug.sleep(30);
  const m = await out.encrypt('during a sleep');
  assert.equal(await sleeping, 30);
  await assert.rejects(mx._debug.exit(3), (e) => e.code === 'INSTANCE_EXITED');
  // The sessions live in JS: the next direct call starts a new instance.
  assert.deepEqual(await inb.decrypt(m), { plaintext: 'during a sleep', messageIndex: 0 });
  assert.equal(mx.nativeCrypto, true, 'the new instance gets the host again');
  assert.equal((await inb.decrypt(await out.encrypt('after'))).plaintext, 'after');
});
