// The reproductions of issue 11 §1, one by one, harder where we could make
// them so (the garbage sweep, tests/sweep.test.mjs, covers the rest
// broadly): hostile arguments never kill the instance, never give INTERNAL
// or an error without a code, and never throw synchronously.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

const mx = await init();
const storeKey = new Uint8Array(32).fill(5);
const coded = (code) => (e) => e?.name === 'MxCryptoError' && e.code === code;

class LyingLength extends Uint8Array {
  get length() {
    return 2 ** 31;
  }
}

test('a hostile options object in one call does not cost a memory store its contents', async () => {
  const store = await mx.store.open({ name: 'survivor', backend: 'memory', storeKey });
  await store.put('value', 'k', new Uint8Array([42]));
  const inFlight = store.get('value', 'k');
  const proxy = new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
  await assert.rejects(mx.store.open(proxy), coded('BAD_INPUT'));
  await assert.rejects(mx.openDevice({ userId: '@a:b', deviceId: 'D', store: 'x', backend: 'memory', get storeKey() { throw new Error('getter'); } }), coded('BAD_INPUT'));
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  await assert.rejects(mx.backup.decrypt(new Uint8Array(32), revoked), coded('BAD_INPUT'));
  assert.deepEqual(await inFlight, new Uint8Array([42]));
  assert.deepEqual(await store.get('value', 'k'), new Uint8Array([42]), 'the instance restarted: the memory store is empty');
  await store.close();
});

test('byte lengths come from the buffer: a lying length, a detached buffer, an oversized buffer', async () => {
  const before = mx.wasmMemoryBytes;
  // The lie is ignored: these are 32 real bytes, a valid key.
  assert.equal(typeof (await mx.recoveryKey.encode(new LyingLength(32))), 'string');
  const owned = Object.defineProperty(new Uint8Array(31), 'length', { get: () => 2 ** 32 - 16 });
  await assert.rejects(mx.recoveryKey.encode(owned), (e) => e.code === 'BAD_INPUT' && /32 bytes, got 31/.test(e.message));
  const detached = new Uint8Array(32);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  await assert.rejects(mx.recoveryKey.encode(detached), (e) => e.code === 'BAD_INPUT' && /detached/.test(e.message));
  await assert.rejects(mx.backup.decryptMany(new Uint8Array(256 * 1024 * 1024 + 1), { rooms: {} }), (e) => e.code === 'BAD_INPUT' && /larger than/.test(e.message));
  assert.ok(mx.wasmMemoryBytes - before < 64 * 1024 * 1024, 'wasm memory grew for a refused argument');
});

test('BigInt, Symbol, cycles and 10^5-deep values anywhere are BAD_INPUT, on the Go path and the direct-call path', async () => {
  const outbound = await mx.megolm.createOutboundSession();
  let deep = {};
  for (let i = 0; i < 1e5; i++) deep = { deep };
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  for (const bad of [10n, { a: 10n }, Symbol('s'), { s: Symbol('s') }, cyclic, deep]) {
    await assert.rejects(mx.canonicalJSON(bad), coded('BAD_INPUT'));
    await assert.rejects(outbound.encrypt(bad), coded('BAD_INPUT')); // direct call
    await assert.rejects(outbound.roomKeyContent('!r:x', bad), coded('BAD_INPUT'));
  }
  assert.equal(typeof (await outbound.encrypt('still works')), 'string');
});

test('null options mean none; wrong options are BAD_INPUT, never a TypeError or a synchronous throw', async () => {
  const outbound = await mx.megolm.createOutboundSession();
  const content = await outbound.roomKeyContent('!r:x', null);
  await assert.rejects(mx.megolm.parseRoomKey(content, null), (e) => e.code === 'BAD_INPUT' && /senderKey/.test(e.message));
  const sender = await mx.olm.createAccount();
  const { session } = await mx.megolm.parseRoomKey(content, { senderKey: sender.identityKeys.curve25519, senderClaimedEd25519Key: sender.identityKeys.ed25519 });
  assert.equal(session.sessionId, outbound.sessionId);
  const device = await mx.openDevice({ userId: '@n:example.org', deviceId: 'NULLS', store: 'nulls', backend: 'memory', storeKey });
  assert.ok(await device.keysForUpload(null));
  await assert.rejects(device.enableBackup(null), coded('BAD_INPUT'));
  // null options are accepted: the refusal is about the backup, not the options.
  await assert.rejects(device.restoreBackup(new Uint8Array(32).fill(1), { rooms: {} }, null), coded('BACKUP_NOT_ENABLED'));
  const calls = [
    () => mx.openDevice({ userId: '@a:b', deviceId: 'D', store: 's', storeKey: 5 }),
    () => mx.openDevice(null),
    () => device.encryptToDevice(null, 'm.dummy', {}),
    () => device.answerSecretRequest({}, 7),
    () => device.exportRoomKeys('p', 'not options'),
    () => mx.olm.createAccount(42),
  ];
  for (const call of calls) {
    let p;
    assert.doesNotThrow(() => { p = call(); });
    await assert.rejects(p, coded('BAD_INPUT'));
  }
  await device.close();
});

test('an Olm message type of 0.7, NaN, -0.5 or 2 is refused with BAD_INPUT on every path', async () => {
  const alice = await mx.olm.createAccount();
  const bob = await mx.olm.createAccount();
  await bob.generateOneTimeKeys(1);
  const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
  const session = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
  const { body } = await session.encrypt('hello');
  for (const type of [0.7, NaN, -0.5, 2, Infinity]) {
    const message = { type, body };
    await assert.rejects(session.decrypt(message), coded('BAD_INPUT'), `decrypt, type ${type}`); // direct
    await assert.rejects(session.matchesInbound(message), coded('BAD_INPUT'), `matchesInbound, type ${type}`); // Go async
    await assert.rejects(bob.createInboundSession(alice.identityKeys.curve25519, message), coded('BAD_INPUT'), `createInboundSession, type ${type}`); // direct
  }
  const { plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, { type: 0, body });
  assert.equal(plaintext, 'hello');
});

test('a callback that throws rejects its own call only, with BAD_INPUT and the thrown error as cause', async () => {
  const boom = new Error('clock broke');
  await assert.rejects(mx.olm.createAccount({ now: () => { throw boom; } }), (e) => e.code === 'BAD_INPUT' && e.cause === boom);
  let ticks = 0;
  const flaky = await mx.olm.createAccount({ now: () => { if (++ticks > 1) throw boom; return 1_700_000_000_000; } });
  const other = await mx.olm.createAccount();
  const [failed, fine] = await Promise.allSettled([flaky.generateOneTimeKeys(1), other.generateOneTimeKeys(1)]);
  assert.equal(failed.status, 'rejected');
  assert.equal(failed.reason.code, 'BAD_INPUT');
  assert.equal(failed.reason.cause, boom);
  assert.equal(fine.status, 'fulfilled');
  assert.equal(Object.keys(await other.unpublishedOneTimeKeys()).length, 1);
  // A clock returning garbage is refused the same way.
  const weird = await mx.olm.createAccount({ now: () => 1_700_000_000_000 });
  assert.ok(weird);
  await assert.rejects(mx.olm.createAccount({ now: () => 10n }), coded('BAD_INPUT'));
});
