// Olm sessions between mxcrypto and libolm 3.2.15 (@matrix-org/olm), in both
// directions: sessions from one-time keys and from fallback keys, long
// conversations with reordered, late and dropped messages, libolm pickles
// imported into mxcrypto and mxcrypto's libolm pickles loaded by libolm,
// signatures, and the error codes of failed decryptions.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadOlm } from './helpers/peers.mjs';
import { Conversation, libolmPeer, messageText, mxPeer } from './helpers/olm-conversation.mjs';
import { b64, randomKey, randomString, unb64 } from './helpers/random.mjs';
import { escapeText, rejectsWithCode, signingPayload } from './helpers/util.mjs';

const MESSAGES = 200;
const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
const shuffledCopy = (list) => list.map((v) => [Math.random(), v]).sort((a, b) => a[0] - b[0]).map(([, v]) => v);
// A pickle key with non-ASCII characters: libolm's JS binding and
// mxcrypto's importLibolm* both take the UTF-8 bytes of a string key.
const PICKLE_KEY = 'pickle key — ключ ✓ 🔑';

let mx;
let Olm;
before(async () => {
  [mx, Olm] = await Promise.all([loadMx(), loadOlm()]);
});

// --- libolm helpers ---------------------------------------------------------

function libolmAccount() {
  const acct = new Olm.Account();
  acct.create();
  return acct;
}

const libolmIdentity = (acct) => JSON.parse(acct.identity_keys());
const libolmOneTimeKeys = (acct) => JSON.parse(acct.one_time_keys()).curve25519;
const libolmUnpublishedFallback = (acct) => JSON.parse(acct.unpublished_fallback_key()).curve25519;

function libolmVerify(publicKey, message, signature) {
  const util = new Olm.Utility();
  try {
    util.ed25519_verify(publicKey, message, signature);
    return true;
  } catch {
    return false;
  } finally {
    util.free();
  }
}

/** A libolm outbound session from `acct` to a device; returns the session. */
function libolmOutbound(acct, theirIdentityKey, theirKey) {
  const s = new Olm.Session();
  s.create_outbound(acct, theirIdentityKey, theirKey);
  return s;
}

/** Bob (libolm) takes Alice's first pre-key message: returns his session. */
function libolmInbound(acct, theirIdentityKey, msg, expectedText) {
  const s = new Olm.Session();
  s.create_inbound_from(acct, theirIdentityKey, msg.body);
  assert.equal(s.decrypt(msg.type, msg.body), expectedText, 'libolm decrypts the first pre-key message');
  return s;
}

// --- session set-ups ----------------------------------------------------------

/**
 * mxcrypto (Alice, initiator) → libolm (Bob) over one of Bob's one-time keys
 * ('otk') or his fallback key ('fallback'). Returns the established
 * Conversation after message #0.
 */
async function mxToLibolm(kind) {
  const alice = await mx.olm.createAccount();
  const bob = libolmAccount();
  let theirKey;
  if (kind === 'otk') {
    bob.generate_one_time_keys(3);
    theirKey = Object.values(libolmOneTimeKeys(bob))[1];
  } else {
    bob.generate_fallback_key();
    theirKey = Object.values(libolmUnpublishedFallback(bob))[0];
  }
  const bobKeys = libolmIdentity(bob);
  const outbound = await alice.createOutboundSession(bobKeys.curve25519, theirKey);
  const text0 = messageText(0, ':0');
  const m0 = await outbound.encrypt(text0);
  assert.equal(m0.type, 0, 'the first message of an outbound session is a pre-key message');

  const bSession = new Olm.Session();
  bSession.create_inbound_from(bob, alice.identityKeys.curve25519, m0.body);
  assert.ok(bSession.matches_inbound_from(alice.identityKeys.curve25519, m0.body), 'libolm: matches_inbound_from');
  assert.equal(bSession.decrypt(0, m0.body), text0);
  assert.equal(bSession.session_id(), outbound.sessionId, 'both sides compute the same session id');
  if (kind === 'otk') {
    bob.remove_one_time_keys(bSession);
    assert.ok(!Object.values(libolmOneTimeKeys(bob)).includes(theirKey), 'libolm removed the used one-time key');
  }
  const conv = new Conversation(mxPeer(outbound, 'mxcrypto'), libolmPeer(bSession, 'libolm'), { label: `mx→libolm(${kind})` });
  return { conv, alice, bob, outbound, bSession, m0, text0 };
}

/** libolm (Alice, initiator) → mxcrypto (Bob) over Bob's one-time or fallback key. */
async function libolmToMx(kind) {
  const bob = await mx.olm.createAccount();
  let theirKey;
  if (kind === 'otk') {
    await bob.generateOneTimeKeys(3);
    theirKey = Object.values(await bob.unpublishedOneTimeKeys())[1];
  } else {
    await bob.generateFallbackKey();
    theirKey = Object.values(await bob.unpublishedFallbackKey())[0];
  }
  const alice = libolmAccount();
  const aliceKey = libolmIdentity(alice).curve25519;
  const outbound = libolmOutbound(alice, bob.identityKeys.curve25519, theirKey);
  const text0 = messageText(0, ':0');
  const m0 = outbound.encrypt(text0);
  assert.equal(m0.type, 0);

  const countBefore = await bob.oneTimeKeyCount();
  const { session, plaintext } = await bob.createInboundSession(aliceKey, { type: m0.type, body: m0.body });
  assert.equal(plaintext, text0, 'createInboundSession returns the plaintext of the pre-key message');
  assert.equal(session.sessionId, outbound.session_id(), 'both sides compute the same session id');
  assert.equal(await session.matchesInbound({ type: 0, body: m0.body }), true, 'matchesInbound(first message)');
  assert.equal(await session.matchesInbound({ type: 0, body: m0.body }, aliceKey), true, 'matchesInbound(first message, sender key)');
  assert.equal(await session.matchesInbound({ type: 0, body: m0.body }, libolmIdentity(libolmAccount()).curve25519), false, 'matchesInbound with another sender key');
  if (kind === 'otk') {
    assert.equal(await bob.oneTimeKeyCount(), countBefore - 1, 'the used one-time key is removed');
    assert.ok(!Object.values(await bob.unpublishedOneTimeKeys()).includes(theirKey), 'the used one-time key is gone');
  } else {
    assert.equal(await bob.oneTimeKeyCount(), countBefore, 'no one-time key is removed for a fallback-key session');
    const [current] = await bob.fallbackKeyStatus();
    assert.equal(current.publicKey, theirKey);
    assert.equal(typeof current.used, 'number', 'the fallback key is marked used');
    assert.deepEqual(Object.values(await bob.unpublishedFallbackKey()), [theirKey], 'a fallback key is not removed on use');
  }
  const conv = new Conversation(libolmPeer(outbound, 'libolm'), mxPeer(session, 'mxcrypto'), { label: `libolm→mx(${kind})` });
  return { conv, alice, aliceKey, bob, outbound, session, m0, text0 };
}

function assertExercised(conv) {
  assert.equal(conv.inFlight(), 0);
  assert.ok(conv.stats.dropped > 0, `some messages were dropped (${JSON.stringify(conv.stats)})`);
  assert.ok(conv.stats.outOfOrder > 0, `some messages arrived out of order (${JSON.stringify(conv.stats)})`);
  assert.ok(conv.stats.late > 0, `some messages arrived late (${JSON.stringify(conv.stats)})`);
}

// -----------------------------------------------------------------------------

describe('Olm conversations with libolm', () => {
  for (const kind of ['otk', 'fallback']) {
    test(`mxcrypto → libolm, ${kind === 'otk' ? 'one-time key' : 'fallback key'}: ${MESSAGES} messages, alternating, reordered/late/dropped`, async () => {
      const { conv } = await mxToLibolm(kind);
      await conv.run(MESSAGES - 1);
      await conv.flush();
      assertExercised(conv);
    });

    test(`libolm → mxcrypto, ${kind === 'otk' ? 'one-time key' : 'fallback key'}: ${MESSAGES} messages, alternating, reordered/late/dropped`, async () => {
      const { conv } = await libolmToMx(kind);
      await conv.run(MESSAGES - 1);
      await conv.flush();
      assertExercised(conv);
    });
  }

  test('empty and large (about 70 KB) plaintexts, both ways', async () => {
    const { outbound, session } = await libolmToMx('otk');
    const big = randomString(30000, { minLen: 30000 }); // 30,000 code points, about 70 KB of UTF-8
    for (const text of ['', big, ' ', '\u{1F510}']) {
      const m = await session.encrypt(text);
      assert.ok(outbound.decrypt(m.type, m.body) === text, `mxcrypto → libolm: ${text.length} UTF-16 units`);
      const r = outbound.encrypt(text);
      assert.ok((await session.decrypt(r)) === text, `libolm → mxcrypto: ${text.length} UTF-16 units`);
    }
  });

  test('several libolm senders use the same mxcrypto fallback key; each session is separate', async () => {
    const bob = await mx.olm.createAccount();
    await bob.generateFallbackKey();
    const fallback = Object.values(await bob.unpublishedFallbackKey())[0];
    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const alice = libolmAccount();
      const out = libolmOutbound(alice, bob.identityKeys.curve25519, fallback);
      const text = messageText(i);
      const m = out.encrypt(text);
      const { session, plaintext } = await bob.createInboundSession(libolmIdentity(alice).curve25519, m);
      assert.equal(plaintext, text);
      sessions.push({ out, session, first: { type: m.type, body: m.body } });
    }
    assert.equal(new Set(sessions.map((s) => s.session.sessionId)).size, 3, 'three distinct session ids');
    // Same fallback key, different base keys: a pre-key message matches only its own session.
    for (const [i, { session }] of sessions.entries()) {
      for (const [j, { first }] of sessions.entries()) {
        assert.equal(await session.matchesInbound(first), i === j, `session ${i} matches the first message of session ${j}: ${i === j}`);
      }
    }
    for (const { out, session } of sessions) {
      const reply = await session.encrypt('reply');
      assert.equal(reply.type, 1);
      assert.equal(out.decrypt(reply.type, reply.body), 'reply');
    }
  });
});

describe('libolm limits (40 skipped keys, 5 receiver chains, gap of 2000)', () => {
  // Two identical conversations: one between libolm sessions, one between
  // their mxcrypto imports taken right after the first message. The same
  // script runs on both (the ciphertexts differ, the structure does not),
  // and each delivery must succeed or fail alike in both.
  test('the same deliveries succeed and fail in libolm and in mxcrypto', async () => {
    const alice = libolmAccount();
    const bob = libolmAccount();
    bob.generate_one_time_keys(1);
    const aliceKey = libolmIdentity(alice).curve25519;
    const aOut = libolmOutbound(alice, libolmIdentity(bob).curve25519, Object.values(libolmOneTimeKeys(bob))[0]);
    const m0 = aOut.encrypt('#0');
    const bIn = libolmInbound(bob, aliceKey, m0, '#0');
    const pairs = [
      { name: 'libolm', peers: [libolmPeer(aOut), libolmPeer(bIn)] },
      {
        name: 'mxcrypto',
        peers: [mxPeer(await mx.olm.importLibolmSession(aOut.pickle(PICKLE_KEY), PICKLE_KEY)), mxPeer(await mx.olm.importLibolmSession(bIn.pickle(PICKLE_KEY), PICKLE_KEY))],
      },
    ];
    const texts = ['#0'];
    const from = [0];
    const outcomes = { libolm: [], mxcrypto: [] };
    const log = [];

    async function send(who, count = 1) {
      const first = texts.length;
      for (let k = 0; k < count; k++) {
        const n = texts.length;
        texts.push(`#${n} from ${who ? 'bob' : 'alice'}`);
        from.push(who);
        for (const pair of pairs) {
          pair.msgs ??= [m0];
          pair.msgs[n] = await pair.peers[who].encrypt(texts[n]);
        }
      }
      return range(first, texts.length);
    }
    async function deliver(n, why) {
      const row = { n, why };
      for (const pair of pairs) {
        let outcome;
        try {
          const pt = await pair.peers[1 - from[n]].decrypt(pair.msgs[n]);
          outcome = pt === texts[n] ? 'ok' : `wrong plaintext ${escapeText(pt)}`;
        } catch (e) {
          outcome = `fail${pair.name === 'mxcrypto' ? ` ${e.code}` : ''}`;
        }
        row[pair.name] = outcome;
        outcomes[pair.name].push(outcome);
      }
      log.push(row);
      return row;
    }

    // 1. A jump of 49 in one chain: libolm keeps only the 40 newest skipped keys.
    const burst = await send(0, 50);
    await deliver(burst.at(-1), 'jump');
    for (const i of [0, 4, 8, 9, 10, 20, 29, 39, 48, 48]) await deliver(burst[i], 'skipped key (40 newest kept)');

    // 2. Eight ratchet steps; on each of the last four chains of each side
    // messages are held back (their keys are kept as skipped keys), then
    // delivered after the last step. (Chains older than the 5 kept are the
    // subject of the next test.)
    const heldA = [];
    const heldB = [];
    for (let step = 0; step < 8; step++) {
      const [b1, b2, b3] = await send(1, 3);
      if (step >= 4) heldB.push(b1);
      else await deliver(b1, 'bob');
      await deliver(b3, 'bob, new chain');
      await deliver(b2, 'bob, skipped');
      const [a1, a2, a3] = await send(0, 3);
      if (step >= 4) heldA.push(a1, a2);
      await deliver(a3, 'alice, new chain');
      if (step < 4) {
        await deliver(a2, 'alice, skipped');
        await deliver(a1, 'alice, skipped');
      }
    }
    for (const n of shuffledCopy([...heldA, ...heldB])) await deliver(n, 'late, recent chain');

    // 3. Forward gaps around 2000: on the current chain ...
    const [b] = await send(1);
    await deliver(b, 'bob');
    const long = await send(0, 2003); // a new chain for Alice
    await deliver(long[2002], 'new chain, index 2002');
    await deliver(long[2001], 'new chain, index 2001');
    await deliver(long[2000], 'new chain, index 2000');
    await deliver(long[1999], 'new chain, index 1999');
    await deliver(long[0], 'new chain, index 0 (its key was not among the 40 kept)');
    // ... and ahead on an existing chain (its next index is now 2001).
    const more = await send(0, 2003); // chain indices 2003 .. 5005
    await deliver(more[2002], 'existing chain, 4004 ahead');
    await deliver(more[1999], 'existing chain, 2001 ahead');
    await deliver(more[1998], 'existing chain, 2000 ahead');
    await deliver(more[1990], 'existing chain, skipped key');
    await deliver(more[10], 'existing chain, key not among the 40 kept');

    const mismatches = log.filter((r) => (r.libolm === 'ok') !== (r.mxcrypto === 'ok') || r.libolm.startsWith('wrong') || r.mxcrypto.startsWith('wrong'));
    assert.deepEqual(mismatches, [], `libolm and mxcrypto disagree:\n${mismatches.map((r) => JSON.stringify(r)).join('\n')}`);
    assert.ok(outcomes.libolm.includes('ok') && outcomes.libolm.some((o) => o !== 'ok'), 'the script hits both successes and failures');
    for (const r of log) {
      if (r.mxcrypto !== 'ok') assert.ok(['fail UNKNOWN_MESSAGE_INDEX', 'fail BAD_MESSAGE', 'fail BAD_MAC'].includes(r.mxcrypto), `unexpected failure ${JSON.stringify(r)}`);
    }
    for (const o of [alice, bob, aOut, bIn]) o.free();
  });
});

describe('receiver chains: only the 5 newest are kept', () => {
  // docs/olm.md §4.3/§4.4: a skipped message key is looked up on its receiver
  // chain; a message whose chain is no longer among the 5 newest cannot be
  // decrypted (libolm; vodozemac keeps skipped keys per chain, so the same).
  // crypto/olm/ratchet.go documents MaxReceiverChains the same way.
  for (const steps of [4, 5]) {
    const evicted = steps >= 5;
    test(`a message skipped on a chain that is ${steps} ratchet steps old: ${evicted ? 'not decrypted (chain dropped)' : 'decrypted'}, as in libolm`, async () => {
      const alice = libolmAccount();
      const bob = libolmAccount();
      bob.generate_one_time_keys(1);
      const aOut = libolmOutbound(alice, libolmIdentity(bob).curve25519, Object.values(libolmOneTimeKeys(bob))[0]);
      const bIn = libolmInbound(bob, libolmIdentity(alice).curve25519, aOut.encrypt('#0'), '#0');
      // Bob's first reply, so that Alice ratchets; then the message to hold.
      const results = {};
      const pairs = {
        libolm: [libolmPeer(aOut), libolmPeer(bIn)],
        mxcrypto: [mxPeer(await mx.olm.importLibolmSession(aOut.pickle(PICKLE_KEY), PICKLE_KEY)), mxPeer(await mx.olm.importLibolmSession(bIn.pickle(PICKLE_KEY), PICKLE_KEY))],
      };
      for (const [name, [a, b]] of Object.entries(pairs)) {
        const trip = async (x, y, text) => assert.equal(await y.decrypt(await x.encrypt(text)), text, `${name}: ${text}`);
        await trip(b, a, 'bob 1');
        const held = await a.encrypt('held'); // chain C, index 0: never delivered in time
        await trip(a, b, 'after held'); // chain C, index 1: Bob stores the key of index 0
        for (let i = 0; i < steps; i++) {
          await trip(b, a, `bob step ${i}`);
          await trip(a, b, `alice step ${i}`); // a new chain for Alice each time
        }
        try {
          results[name] = (await b.decrypt(held)) === 'held' ? 'decrypted' : 'wrong plaintext';
        } catch (e) {
          results[name] = `failed${e.code ? ` (${e.code})` : ''}`;
        }
      }
      assert.equal(results.libolm.startsWith('failed'), evicted, `libolm: ${results.libolm}`);
      assert.equal(
        results.mxcrypto.startsWith('failed'),
        evicted,
        `mxcrypto: ${results.mxcrypto}, libolm: ${results.libolm} (message on a chain ${steps} ratchet steps back, with its skipped key still held)`,
      );
      for (const o of [alice, bob, aOut, bIn]) o.free();
    });
  }
});

describe('libolm pickles imported into mxcrypto', () => {
  test('libolm Account + Session pickles (same key string) continue the conversation in mxcrypto, both sides', async () => {
    // libolm Alice ↔ libolm Bob, then both replaced by mxcrypto imports of their pickles.
    const alice = libolmAccount();
    const bob = libolmAccount();
    bob.generate_one_time_keys(5);
    const publishedOtks = libolmOneTimeKeys(bob);
    bob.generate_fallback_key();
    bob.mark_keys_as_published();
    bob.generate_one_time_keys(2); // two unpublished keys
    bob.generate_fallback_key(); // current (unpublished) + previous (published)
    const aliceKey = libolmIdentity(alice).curve25519;
    const bobKeys = libolmIdentity(bob);

    // Carol makes a pre-key message to Bob's current fallback key before Bob's
    // pickle is taken; it arrives after the import.
    const carol = libolmAccount();
    const carolKey = libolmIdentity(carol).curve25519;
    const currentFallback = Object.values(libolmUnpublishedFallback(bob))[0];

    const aOut = libolmOutbound(alice, bobKeys.curve25519, Object.values(publishedOtks)[2]);
    const text0 = messageText(0, ':0');
    const m0 = aOut.encrypt(text0);
    const bIn = libolmInbound(bob, aliceKey, m0, text0);
    bob.remove_one_time_keys(bIn);

    const conv = new Conversation(libolmPeer(aOut, 'libolm-alice'), libolmPeer(bIn, 'libolm-bob'), { label: 'libolm↔libolm→mx' });
    await conv.run(80);

    const carolOut = libolmOutbound(carol, bobKeys.curve25519, currentFallback);
    const carolText = messageText(1000, ':carol');
    const carolMsg = carolOut.encrypt(carolText);

    // Snapshot: pickles of both sessions and of Bob's account.
    const alicePickle = aOut.pickle(PICKLE_KEY);
    const bobPickle = bIn.pickle(PICKLE_KEY);
    const bobAccountPickle = bob.pickle(PICKLE_KEY);

    const mxAlice = await mx.olm.importLibolmSession(alicePickle, PICKLE_KEY);
    const mxBob = await mx.olm.importLibolmSession(bobPickle, PICKLE_KEY);
    assert.equal(mxAlice.sessionId, aOut.session_id());
    assert.equal(mxBob.sessionId, bIn.session_id());
    conv.replace(0, mxPeer(mxAlice, 'mx(alice from libolm)'));
    conv.replace(1, mxPeer(mxBob, 'mx(bob from libolm)'));
    await conv.run(60);
    await conv.flush();
    assertExercised(conv);

    // The account: same keys, same unpublished keys, same signatures.
    const mxBobAccount = await mx.olm.importLibolmAccount(bobAccountPickle, PICKLE_KEY);
    assert.deepEqual(mxBobAccount.identityKeys, bobKeys);
    assert.deepEqual(await mxBobAccount.unpublishedOneTimeKeys(), libolmOneTimeKeys(bob), 'unpublished one-time keys (ids and keys)');
    assert.deepEqual(await mxBobAccount.unpublishedFallbackKey(), libolmUnpublishedFallback(bob), 'unpublished fallback key (id and key)');
    assert.equal(await mxBobAccount.oneTimeKeyCount(), 6, '5 + 2 generated, 1 used');
    for (const message of ['', 'hello', randomString(200)]) {
      assert.equal(await mxBobAccount.sign(message), bob.sign(message), `Ed25519 signatures are deterministic: same signature as libolm for ${JSON.stringify(message).slice(0, 30)}`);
    }

    // Carol's pre-key message (made before the pickle) to the current fallback key.
    const carolIn = await mxBobAccount.createInboundSession(carolKey, carolMsg);
    assert.equal(carolIn.plaintext, carolText);
    const carolReply = await carolIn.session.encrypt('hi carol');
    assert.equal(carolOut.decrypt(carolReply.type, carolReply.body), 'hi carol');

    // New senders after the import: to a published and an unpublished OTK,
    // to the previous fallback key.
    const previousFallback = (await mxBobAccount.fallbackKeyStatus()).find((k) => !k.current);
    assert.ok(previousFallback, 'the previous fallback key was imported');
    for (const theirKey of [Object.values(publishedOtks)[0], Object.values(libolmOneTimeKeys(bob))[1], previousFallback.publicKey]) {
      const dave = libolmAccount();
      const out = libolmOutbound(dave, bobKeys.curve25519, theirKey);
      const text = randomString(80);
      const r = await mxBobAccount.createInboundSession(libolmIdentity(dave).curve25519, out.encrypt(text));
      assert.equal(r.plaintext, text);
    }
    for (const o of [alice, bob, carol, aOut, bIn, carolOut]) o.free();
  });

  test('sides swap implementations mid-conversation: libolm Bob goes on in mxcrypto, mxcrypto Alice in libolm', async () => {
    const { conv, outbound, bSession } = await mxToLibolm('otk');
    await conv.run(40);
    // Replace the live libolm Bob by an mxcrypto copy of his pickle, and
    // mxcrypto Alice by a libolm copy of her export: now libolm ↔ mxcrypto
    // the other way round, with messages in flight across the switch.
    const bobCopy = await mx.olm.importLibolmSession(bSession.pickle(PICKLE_KEY), PICKLE_KEY);
    const aliceCopy = new Olm.Session();
    aliceCopy.unpickle(PICKLE_KEY, await outbound.exportLibolmPickle(PICKLE_KEY));
    assert.equal(aliceCopy.session_id(), outbound.sessionId);
    conv.replace(0, libolmPeer(aliceCopy, 'libolm(alice from mx)'));
    conv.replace(1, mxPeer(bobCopy, 'mx(bob from libolm)'));
    await conv.run(60);
    await conv.flush();
    assertExercised(conv);
  });

  test('pickle keys: empty string, and bytes equal to the UTF-8 of the string', async () => {
    const acct = libolmAccount();
    acct.generate_one_time_keys(2);
    const keys = libolmIdentity(acct);
    const empty = await mx.olm.importLibolmAccount(acct.pickle(''), '');
    assert.deepEqual(empty.identityKeys, keys, 'empty pickle key');
    const bytesKey = new TextEncoder().encode(PICKLE_KEY);
    const fromBytes = await mx.olm.importLibolmAccount(acct.pickle(PICKLE_KEY), bytesKey);
    assert.deepEqual(fromBytes.identityKeys, keys, 'pickle key given as bytes');
    const fromLibolmBytes = await mx.olm.importLibolmAccount(acct.pickle(bytesKey), PICKLE_KEY);
    assert.deepEqual(fromLibolmBytes.identityKeys, keys, 'libolm pickled with bytes, imported with the string');
    await rejectsWithCode(() => mx.olm.importLibolmAccount(acct.pickle(PICKLE_KEY), 'another key'), 'WRONG_KEY', 'wrong pickle key (index.d.ts: a wrong key is WRONG_KEY)');
    const session = new Olm.Session();
    const other = libolmAccount();
    other.generate_one_time_keys(1);
    session.create_outbound(acct, libolmIdentity(other).curve25519, Object.values(libolmOneTimeKeys(other))[0]);
    await rejectsWithCode(() => mx.olm.importLibolmSession(session.pickle(PICKLE_KEY), `${PICKLE_KEY}!`), 'WRONG_KEY', 'session pickle, wrong key');
    const sessionCopy = await mx.olm.importLibolmSession(session.pickle(''), new Uint8Array(0));
    assert.equal(sessionCopy.sessionId, session.session_id(), 'session pickle with an empty key (as bytes)');
    for (const o of [acct, other, session]) o.free();
  });
});

describe('mxcrypto libolm pickles loaded by libolm', () => {
  test('both sessions exported to libolm continue the conversation there', async () => {
    const alice = await mx.olm.createAccount();
    const bob = await mx.olm.createAccount();
    await bob.generateOneTimeKeys(1);
    const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
    const out = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
    const text0 = messageText(0, ':0');
    const m0 = await out.encrypt(text0);
    const { session: inb, plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, m0);
    assert.equal(plaintext, text0);
    const conv = new Conversation(mxPeer(out, 'mx-alice'), mxPeer(inb, 'mx-bob'), { label: 'mx↔mx→libolm' });
    await conv.run(60);

    const libBob = new Olm.Session();
    libBob.unpickle(PICKLE_KEY, await inb.exportLibolmPickle(PICKLE_KEY));
    assert.equal(libBob.session_id(), inb.sessionId);
    conv.replace(1, libolmPeer(libBob, 'libolm(bob from mx)'));
    await conv.run(60);

    const libAlice = new Olm.Session();
    libAlice.unpickle(PICKLE_KEY, await out.exportLibolmPickle(new TextEncoder().encode(PICKLE_KEY)));
    assert.equal(libAlice.session_id(), out.sessionId);
    assert.equal(libAlice.has_received_message(), conv.received[0]);
    conv.replace(0, libolmPeer(libAlice, 'libolm(alice from mx)'));
    await conv.run(60);
    await conv.flush();
    assertExercised(conv);
  });

  test('an exported account: same keys and signatures in libolm, and libolm accepts pre-key messages to its keys', async () => {
    const acct = await mx.olm.createAccount();
    await acct.generateOneTimeKeys(4);
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    await acct.generateOneTimeKeys(3);
    await acct.generateFallbackKey(); // current unpublished, previous published
    const status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 2);

    const lib = new Olm.Account();
    lib.unpickle(PICKLE_KEY, await acct.exportLibolmPickle(PICKLE_KEY));
    assert.deepEqual(libolmIdentity(lib), acct.identityKeys);
    assert.deepEqual(libolmOneTimeKeys(lib), await acct.unpublishedOneTimeKeys(), 'unpublished one-time keys');
    assert.deepEqual(libolmUnpublishedFallback(lib), await acct.unpublishedFallbackKey(), 'unpublished fallback key');
    for (const message of ['', 'x', randomString(300)]) {
      assert.equal(lib.sign(message), await acct.sign(message), 'same Ed25519 signature');
    }
    // libolm keeps generating ids after ours (shared counter, no reuse).
    const ourIds = new Set([...Object.keys(await acct.unpublishedOneTimeKeys()), ...status.map((k) => k.keyId)]);
    lib.generate_one_time_keys(2);
    for (const id of Object.keys(libolmOneTimeKeys(lib))) {
      if (!(id in (await acct.unpublishedOneTimeKeys()))) assert.ok(!ourIds.has(id), `libolm reused key id ${id}`);
    }

    // Pre-key messages from mxcrypto senders to an OTK, the current and the previous fallback key.
    const targets = [Object.values(await acct.unpublishedOneTimeKeys())[0], status[0].publicKey, status[1].publicKey];
    for (const theirKey of targets) {
      const sender = await mx.olm.createAccount();
      const out = await sender.createOutboundSession(acct.identityKeys.curve25519, theirKey);
      const text = randomString(100);
      const m = await out.encrypt(text);
      const s = new Olm.Session();
      s.create_inbound_from(lib, sender.identityKeys.curve25519, m.body);
      assert.equal(s.decrypt(m.type, m.body), text);
      const reply = s.encrypt('ok');
      assert.equal(await out.decrypt(reply), 'ok');
      s.free();
    }
    lib.free();
  });

  test('libolm pickle → mxcrypto → libolm pickle gives the same state, byte for byte', async () => {
    const acct = libolmAccount();
    acct.generate_one_time_keys(3);
    acct.mark_keys_as_published();
    acct.generate_one_time_keys(2);
    acct.generate_fallback_key();
    acct.mark_keys_as_published();
    acct.generate_fallback_key();
    const original = acct.pickle(PICKLE_KEY);
    const imported = await mx.olm.importLibolmAccount(original, PICKLE_KEY);
    const exported = await imported.exportLibolmPickle(PICKLE_KEY);
    // libolm pickles are deterministic (the IV comes from the key), so the
    // same state under the same key gives the same string.
    assert.equal(exported, original, 'account pickle round trip');
    const back = new Olm.Account();
    back.unpickle(PICKLE_KEY, exported);
    assert.deepEqual(libolmIdentity(back), libolmIdentity(acct));
    assert.deepEqual(libolmOneTimeKeys(back), libolmOneTimeKeys(acct));
    assert.deepEqual(libolmUnpublishedFallback(back), libolmUnpublishedFallback(acct));
    // The next key ids continue from the same counter.
    acct.generate_one_time_keys(1);
    back.generate_one_time_keys(1);
    assert.deepEqual(Object.keys(libolmOneTimeKeys(back)).sort(), Object.keys(libolmOneTimeKeys(acct)).sort(), 'same next key id');
    for (const o of [acct, back]) o.free();

    // Sessions mid-conversation: sender and receiver chains, skipped keys.
    const { conv, bSession } = await mxToLibolm('otk');
    const libAlice = new Olm.Session();
    libAlice.unpickle(PICKLE_KEY, await conv.peers[0].session.exportLibolmPickle(PICKLE_KEY));
    conv.replace(0, libolmPeer(libAlice, 'libolm(alice from mx)'));
    await conv.run(50); // libolm ↔ libolm now, with dropped messages (skipped keys)
    for (const [who, session] of [['initiator', libAlice], ['responder', bSession]]) {
      const p = session.pickle(PICKLE_KEY);
      const ours = await mx.olm.importLibolmSession(p, PICKLE_KEY);
      assert.equal(await ours.exportLibolmPickle(PICKLE_KEY), p, `${who} session pickle round trip`);
    }
  });
});

describe('signatures', () => {
  test('Account.sign verifies with libolm Utility.ed25519_verify', async () => {
    const acct = await mx.olm.createAccount();
    for (let i = 0; i < 50; i++) {
      const message = i === 0 ? '' : randomString(i < 25 ? 40 : 400);
      const sig = await acct.sign(message);
      assert.equal(unb64(sig).length, 64);
      assert.ok(libolmVerify(acct.identityKeys.ed25519, message, sig), `signature of message ${i} verifies`);
      assert.ok(!libolmVerify(acct.identityKeys.ed25519, `${message}.`, sig), 'and not for another message');
    }
  });

  test('keysForUpload: device keys, one-time keys and fallback key signatures verify (mx.signing.verify and libolm)', async () => {
    const acct = await mx.olm.createAccount();
    await acct.generateOneTimeKeys(5);
    await acct.generateFallbackKey();
    const userId = '@alice:example.org';
    const deviceId = 'JLAFKJWSCS';
    const keyId = `ed25519:${deviceId}`;
    const body = await acct.keysForUpload(userId, deviceId);
    const ed = acct.identityKeys.ed25519;

    const dk = body.device_keys;
    assert.equal(dk.user_id, userId);
    assert.equal(dk.device_id, deviceId);
    assert.equal(dk.keys[`curve25519:${deviceId}`], acct.identityKeys.curve25519);
    assert.equal(dk.keys[keyId], ed);
    const signed = [['device_keys', dk]];

    const otks = await acct.unpublishedOneTimeKeys();
    assert.deepEqual(Object.keys(body.one_time_keys).sort(), Object.keys(otks).map((id) => `signed_curve25519:${id}`).sort());
    for (const [name, obj] of Object.entries(body.one_time_keys)) {
      assert.equal(obj.key, otks[name.slice('signed_curve25519:'.length)]);
      assert.equal(obj.fallback, undefined);
      signed.push([name, obj]);
    }
    const fb = await acct.unpublishedFallbackKey();
    assert.deepEqual(Object.keys(body.fallback_keys), Object.keys(fb).map((id) => `signed_curve25519:${id}`));
    for (const [name, obj] of Object.entries(body.fallback_keys)) {
      assert.equal(obj.key, fb[name.slice('signed_curve25519:'.length)]);
      assert.equal(obj.fallback, true, 'fallback keys carry fallback: true (inside the signature)');
      signed.push([name, obj]);
    }

    for (const [name, obj] of signed) {
      assert.equal(await mx.signing.verify(obj, userId, keyId, ed), true, `mx.signing.verify(${name})`);
      assert.ok(libolmVerify(ed, signingPayload(obj), obj.signatures[userId][keyId]), `libolm verifies ${name} over the canonical JSON`);
      const forged = structuredClone(obj);
      if (name === 'device_keys') forged.device_id = 'OTHER';
      else forged.key = b64(randomKey());
      assert.equal(await mx.signing.verify(forged, userId, keyId, ed), false, `altered ${name} does not verify`);
    }
    // The fallback flag is covered by the signature.
    for (const obj of Object.values(body.fallback_keys)) {
      const { fallback, ...withoutFlag } = obj;
      assert.equal(fallback, true);
      assert.equal(await mx.signing.verify(withoutFlag, userId, keyId, ed), false, 'signature covers fallback: true');
    }
  });
});

describe('decryption errors', () => {
  /** libolm Alice ↔ mxcrypto Bob with a few messages each way; Alice now sends type 1. */
  async function established() {
    const ctx = await libolmToMx('otk');
    await ctx.conv.run(10);
    await ctx.conv.flush();
    const reply = await ctx.session.encrypt('so Alice has received');
    assert.equal(ctx.outbound.decrypt(reply.type, reply.body), 'so Alice has received');
    return ctx;
  }

  function flip(body, index, bit = 0x01) {
    const bytes = unb64(body);
    const i = index < 0 ? bytes.length + index : index;
    bytes[i] ^= bit;
    return b64(bytes);
  }

  test('a tampered normal message: BAD_MAC / BAD_MESSAGE, and the session is unchanged', async () => {
    const { outbound, session } = await established();
    const text = 'the real message';
    const m = outbound.encrypt(text);
    assert.equal(m.type, 1);
    const len = unb64(m.body).length;
    const cases = [
      ['last MAC byte', flip(m.body, -1), ['BAD_MAC']],
      ['first MAC byte', flip(m.body, -8, 0x80), ['BAD_MAC']],
      ['a ciphertext byte', flip(m.body, len - 12), ['BAD_MAC']],
      ['the ratchet key', flip(m.body, 5), ['BAD_MAC', 'BAD_MESSAGE']],
      ['the version byte', flip(m.body, 0, 0x04), ['BAD_MESSAGE', 'BAD_MAC']],
      ['truncated (no MAC)', b64(unb64(m.body).subarray(0, len - 8)), ['BAD_MESSAGE', 'BAD_MAC']],
    ];
    for (const [what, body, codes] of cases) {
      await rejectsWithCode(() => session.decrypt({ type: 1, body }), codes, `decrypt with ${what} changed`);
    }
    assert.equal(await session.decrypt(m), text, 'the untampered message still decrypts');
    const next = outbound.encrypt('next');
    assert.equal(await session.decrypt(next), 'next');
  });

  test('a tampered pre-key message: BAD_MAC, and the one-time key is kept', async () => {
    const bob = await mx.olm.createAccount();
    await bob.generateOneTimeKeys(2);
    const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
    const alice = libolmAccount();
    const aliceKey = libolmIdentity(alice).curve25519;
    const out = libolmOutbound(alice, bob.identityKeys.curve25519, otk);
    const m = out.encrypt('first');
    await rejectsWithCode(() => bob.createInboundSession(aliceKey, { type: 0, body: flip(m.body, -1) }), ['BAD_MAC'], 'pre-key message with a bad MAC');
    assert.equal(await bob.oneTimeKeyCount(), 2, 'the one-time key was not used up by a failed decryption');
    const { plaintext } = await bob.createInboundSession(aliceKey, m);
    assert.equal(plaintext, 'first');
    assert.equal(await bob.oneTimeKeyCount(), 1);
    alice.free();
  });

  test('a duplicate message: UNKNOWN_MESSAGE_INDEX, and the session still works after', async () => {
    const { outbound, session, m0 } = await established();
    const m1 = outbound.encrypt('one');
    const m2 = outbound.encrypt('two');
    assert.equal(await session.decrypt(m1), 'one');
    await rejectsWithCode(() => session.decrypt(m1), 'UNKNOWN_MESSAGE_INDEX', 'the same message again');
    // The pre-key message that created the session, again, on the session.
    await rejectsWithCode(() => session.decrypt({ type: 0, body: m0.body }), 'UNKNOWN_MESSAGE_INDEX', 'the first pre-key message again');
    assert.equal(await session.decrypt(m2), 'two', 'the next message decrypts');
    await rejectsWithCode(() => session.decrypt(m2), 'UNKNOWN_MESSAGE_INDEX', 'a duplicate after the next');
    const reply = await session.encrypt('still here');
    assert.equal(outbound.decrypt(reply.type, reply.body), 'still here');
    // A skipped message, delivered twice.
    const m3 = outbound.encrypt('three');
    const m4 = outbound.encrypt('four');
    assert.equal(await session.decrypt(m4), 'four');
    assert.equal(await session.decrypt(m3), 'three');
    await rejectsWithCode(() => session.decrypt(m3), 'UNKNOWN_MESSAGE_INDEX', 'a skipped message delivered twice');
    assert.equal(await session.decrypt(outbound.encrypt('five')), 'five');
  });

  test('a pre-key message for an unknown one-time key: UNKNOWN_ONE_TIME_KEY', async () => {
    const bob = await mx.olm.createAccount();
    await bob.generateOneTimeKeys(1);
    await bob.generateFallbackKey();
    const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
    const alice = libolmAccount();
    const aliceKey = libolmIdentity(alice).curve25519;

    // 1. The OTK was already used up by an earlier message.
    const out = libolmOutbound(alice, bob.identityKeys.curve25519, otk);
    const m = out.encrypt('first');
    assert.equal((await bob.createInboundSession(aliceKey, m)).plaintext, 'first');
    await rejectsWithCode(() => bob.createInboundSession(aliceKey, m), 'UNKNOWN_ONE_TIME_KEY', 'replayed pre-key message after its OTK was used');
    const again = libolmOutbound(alice, bob.identityKeys.curve25519, otk);
    await rejectsWithCode(() => bob.createInboundSession(aliceKey, again.encrypt('x')), 'UNKNOWN_ONE_TIME_KEY', 'new session to a used OTK');

    // 2. A key Bob never had (another account's OTK, a random key).
    const carol = await mx.olm.createAccount();
    await carol.generateOneTimeKeys(1);
    const carolOtk = Object.values(await carol.unpublishedOneTimeKeys())[0];
    for (const [what, key] of [['another account\'s OTK', carolOtk], ['a random key', b64(randomKey())]]) {
      const s = libolmOutbound(alice, bob.identityKeys.curve25519, key);
      await rejectsWithCode(() => bob.createInboundSession(aliceKey, s.encrypt('x')), 'UNKNOWN_ONE_TIME_KEY', what);
      s.free();
    }
    assert.equal(await bob.oneTimeKeyCount(), 0);
    alice.free();
  });
});

describe('export with messages in flight', () => {
  // Exported mid-conversation while messages of both sides are still held in
  // transit (some dropped, some out of order): libolm, loading our pickle,
  // decrypts the held ones and carries on.
  test('a session exported with messages in flight carries on in libolm (20 rounds)', { timeout: 120_000 }, async () => {
    for (let round = 0; round < 20; round++) {
      const alice = libolmAccount();
      const bob = await mx.olm.createAccount();
      await bob.generateOneTimeKeys(1);
      const ls = new Olm.Session();
      ls.create_outbound(alice, bob.identityKeys.curve25519, Object.values(await bob.unpublishedOneTimeKeys())[0]);
      const { session } = await bob.createInboundSession(JSON.parse(alice.identity_keys()).curve25519, ls.encrypt('hi'));
      const conv = new Conversation(libolmPeer(ls), mxPeer(session), { label: `libolm→mx round ${round}`, forceDropAfter: 10, maxDrops: 4 });
      await conv.run(20);
      const copy = new Olm.Session();
      copy.unpickle(PICKLE_KEY, await session.exportLibolmPickle(PICKLE_KEY));
      assert.equal(copy.session_id(), session.sessionId);
      conv.replace(1, libolmPeer(copy, 'libolm(from mx)'));
      await conv.run(20);
      await conv.flush();
      ls.free();
      copy.free();
      alice.free();
    }
  });
});
