// Interop with vodozemac 0.10.0 through its Python bindings (see
// helpers/vodozemac.mjs; the first run creates .venv/ and installs it):
// Olm sessions both ways from one-time and fallback keys, Megolm both ways
// with the session-sharing (v2) and session-export (v1) formats, signatures,
// and our libolm pickles read by vodozemac's libolm import.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { loadMx } from './helpers/peers.mjs';
import { Conversation, messageText, mxPeer } from './helpers/olm-conversation.mjs';
import { decodeLibolmSessionPickle, encodeLibolmSessionPickle } from './helpers/olm-state.mjs';
import { VodozemacProcess, vodozemacLibolmImportPeer, vodozemacPeer } from './helpers/vodozemac.mjs';
import { b64, randomString } from './helpers/random.mjs';
import { escapeText, referenceCanonicalJSON, rejectsWithCode, signingPayload } from './helpers/util.mjs';

const OLM_MESSAGES = 60; // about 30 each way
const MEGOLM_MESSAGES = 60;
const PICKLE_KEY = 'vodozemac ⇄ mxcrypto pickle key';

let mx;
let vz;
before(async () => {
  [mx, vz] = await Promise.all([loadMx(), VodozemacProcess.start()]);
});
after(async () => {
  await vz?.close();
});

const conversationOptions = (label) => ({ label, forceDropAfter: 10, maxDrops: 4 });

function assertExercised(conv) {
  assert.equal(conv.inFlight(), 0);
  assert.ok(conv.stats.dropped > 0, `some messages were dropped (${JSON.stringify(conv.stats)})`);
  assert.ok(conv.stats.outOfOrder > 0, `some messages arrived out of order (${JSON.stringify(conv.stats)})`);
}

/** mxcrypto Alice → vodozemac Bob over one of Bob's one-time keys or his fallback key. */
async function mxToVodozemac(kind) {
  const bob = await vz.call('account_new');
  let theirKey;
  if (kind === 'otk') {
    const keys = await vz.call('account_generate_one_time_keys', { account: bob.account, count: 3 });
    assert.equal(Object.keys(keys).length, 3);
    theirKey = Object.values(keys)[1];
  } else {
    const fb = await vz.call('account_generate_fallback_key', { account: bob.account });
    assert.equal(Object.keys(fb).length, 1);
    theirKey = Object.values(fb)[0];
  }
  const alice = await mx.olm.createAccount();
  const out = await alice.createOutboundSession(bob.curve25519, theirKey);
  const text0 = messageText(0, ':0');
  const m0 = await out.encrypt(text0);
  assert.equal(m0.type, 0);
  const inb = await vz.call('account_create_inbound_session', { account: bob.account, identity_key: alice.identityKeys.curve25519, message: m0 });
  assert.ok(inb.plaintext === text0, `vodozemac decrypted ${escapeText(inb.plaintext)}`);
  assert.equal(inb.session_id, out.sessionId, 'same session id');
  const after = await vz.call('account_info', { account: bob.account });
  if (kind === 'otk') assert.ok(!Object.values(after.one_time_keys).includes(theirKey), 'vodozemac removed the used one-time key');
  else assert.deepEqual(Object.values(after.fallback_key), [theirKey], 'the fallback key stays');
  const conv = new Conversation(mxPeer(out, 'mxcrypto'), vodozemacPeer(vz, inb.session), conversationOptions(`mx→vodozemac(${kind})`));
  return { conv, alice, bob, out, inbHandle: inb.session };
}

/** vodozemac Alice → mxcrypto Bob. */
async function vodozemacToMx(kind) {
  const bob = await mx.olm.createAccount();
  let theirKey;
  if (kind === 'otk') {
    await bob.generateOneTimeKeys(3);
    theirKey = Object.values(await bob.unpublishedOneTimeKeys())[2];
  } else {
    await bob.generateFallbackKey();
    theirKey = Object.values(await bob.unpublishedFallbackKey())[0];
  }
  const alice = await vz.call('account_new');
  const out = await vz.call('account_create_outbound_session', { account: alice.account, identity_key: bob.identityKeys.curve25519, one_time_key: theirKey });
  const text0 = messageText(0, ':0');
  const m0 = await vz.call('session_encrypt', { session: out.session, plaintext: text0 });
  assert.equal(m0.type, 0);
  const { session, plaintext } = await bob.createInboundSession(alice.curve25519, m0);
  assert.ok(plaintext === text0, `mxcrypto decrypted ${escapeText(plaintext)}`);
  assert.equal(session.sessionId, out.session_id, 'same session id');
  assert.equal(await session.matchesInbound(m0, alice.curve25519), true);
  if (kind === 'otk') assert.equal(await bob.oneTimeKeyCount(), 2);
  else assert.equal(typeof (await bob.fallbackKeyStatus())[0].used, 'number');
  const conv = new Conversation(vodozemacPeer(vz, out.session), mxPeer(session, 'mxcrypto'), conversationOptions(`vodozemac→mx(${kind})`));
  return { conv, alice, bob, session, outHandle: out.session };
}

describe('Olm with vodozemac', () => {
  for (const kind of ['otk', 'fallback']) {
    const what = kind === 'otk' ? 'one-time key' : 'fallback key';
    test(`mxcrypto → vodozemac, ${what}: ${OLM_MESSAGES} messages alternating, reordered/dropped`, async () => {
      const { conv } = await mxToVodozemac(kind);
      await conv.run(OLM_MESSAGES - 1);
      await conv.flush();
      assertExercised(conv);
    });
    test(`vodozemac → mxcrypto, ${what}: ${OLM_MESSAGES} messages alternating, reordered/dropped`, async () => {
      const { conv } = await vodozemacToMx(kind);
      await conv.run(OLM_MESSAGES - 1);
      await conv.flush();
      assertExercised(conv);
    });
  }

  test('a vodozemac pre-key message for a one-time key we never had: UNKNOWN_ONE_TIME_KEY', async () => {
    const bob = await mx.olm.createAccount();
    const other = await mx.olm.createAccount();
    await other.generateOneTimeKeys(1);
    const alice = await vz.call('account_new');
    const out = await vz.call('account_create_outbound_session', {
      account: alice.account,
      identity_key: bob.identityKeys.curve25519,
      one_time_key: Object.values(await other.unpublishedOneTimeKeys())[0],
    });
    const m = await vz.call('session_encrypt', { session: out.session, plaintext: 'hello' });
    await rejectsWithCode(() => bob.createInboundSession(alice.curve25519, m), 'UNKNOWN_ONE_TIME_KEY');
  });

  test('signatures: ours verify in vodozemac (strict), vodozemac\'s verify with mx.signing.verify', async () => {
    const acct = await mx.olm.createAccount();
    for (let i = 0; i < 10; i++) {
      const message = randomString(100);
      const signature = await acct.sign(message);
      assert.equal(await vz.call('ed25519_verify', { key: acct.identityKeys.ed25519, message, signature }), true);
      assert.equal(await vz.call('ed25519_verify', { key: acct.identityKeys.ed25519, message: `${message}!`, signature }), false);
    }
    await acct.generateOneTimeKeys(2);
    await acct.generateFallbackKey();
    const body = await acct.keysForUpload('@bob:example.org', 'BOBDEVICE');
    const objects = [body.device_keys, ...Object.values(body.one_time_keys), ...Object.values(body.fallback_keys)];
    assert.equal(objects.length, 4);
    for (const obj of objects) {
      const signature = obj.signatures['@bob:example.org']['ed25519:BOBDEVICE'];
      assert.equal(await vz.call('ed25519_verify', { key: acct.identityKeys.ed25519, message: signingPayload(obj), signature }), true);
    }

    const signer = await vz.call('account_new');
    const obj = { user_id: '@carol:example.org', device_id: 'CAROL', note: randomString(30), keys: { [`ed25519:CAROL`]: signer.ed25519 } };
    const sig = await vz.call('account_sign', { account: signer.account, message: referenceCanonicalJSON(obj) });
    const signed = { ...obj, signatures: { '@carol:example.org': { 'ed25519:CAROL': sig } } };
    assert.equal(await mx.signing.verify(signed, '@carol:example.org', 'ed25519:CAROL', signer.ed25519), true);
    assert.equal(await mx.signing.verify({ ...signed, note: 'changed' }, '@carol:example.org', 'ed25519:CAROL', signer.ed25519), false);
  });

  test('our libolm pickles (account, session) load in vodozemac and keep working', async () => {
    // The account: same keys; a pre-key message to its OTK decrypts in vodozemac.
    const acct = await mx.olm.createAccount();
    await acct.generateOneTimeKeys(3);
    await acct.generateFallbackKey();
    const loaded = await vz.call('account_from_libolm_pickle', { pickle: await acct.exportLibolmPickle(PICKLE_KEY), key: PICKLE_KEY });
    assert.equal(loaded.curve25519, acct.identityKeys.curve25519);
    assert.equal(loaded.ed25519, acct.identityKeys.ed25519);
    assert.deepEqual(Object.values(loaded.one_time_keys).sort(), Object.values(await acct.unpublishedOneTimeKeys()).sort(), 'same one-time keys');
    assert.deepEqual(Object.values(loaded.fallback_key), Object.values(await acct.unpublishedFallbackKey()), 'same fallback key');
    for (const theirKey of [Object.values(await acct.unpublishedOneTimeKeys())[0], Object.values(await acct.unpublishedFallbackKey())[0]]) {
      const sender = await mx.olm.createAccount();
      const out = await sender.createOutboundSession(acct.identityKeys.curve25519, theirKey);
      const text = randomString(50);
      const r = await vz.call('account_create_inbound_session', { account: loaded.account, identity_key: sender.identityKeys.curve25519, message: await out.encrypt(text) });
      assert.equal(r.plaintext, text);
    }
    const msg = randomString(40);
    assert.equal(await vz.call('account_sign', { account: loaded.account, message: msg }), await acct.sign(msg), 'same Ed25519 signatures');

    // A session mid-conversation: exported, loaded by vodozemac, conversation
    // goes on. Every message must decrypt, except where vodozemac's import
    // is known to lose a chain (see vodozemacLibolmImportPeer and the next
    // test): those must be refused, exactly those.
    const { conv, session } = await vodozemacToMx('otk');
    await conv.run(20);
    const pickle = await session.exportLibolmPickle(PICKLE_KEY);
    const chains = decodeLibolmSessionPickle(pickle, PICKLE_KEY).receiverChains.map((c) => c.ratchetKey);
    const copy = await vz.call('session_from_libolm_pickle', { pickle, key: PICKLE_KEY });
    assert.equal(copy.session_id, session.sessionId);
    conv.replace(1, vodozemacLibolmImportPeer(vz, copy.session, chains, 'vodozemac(from mx)'));
    await conv.run(20);
    await conv.flush();
    if (conv.refusals.length) {
      assert.equal(chains.length, 5, 'vodozemac only loses a chain it should keep when the pickle holds five');
    }
  });

  // A libolm 3.2.15 conversation (crypto/olm/testdata/libolm_chains.json): Bob
  // holds five receiver chains and a sender chain; h2 and h0 on his newest
  // chain are still in flight when Alice's next chain (N1) reaches him.
  test('libolm\'s own five-chain session pickle: vodozemac drops the newest chain on the next one (known vodozemac limitation), libolm and mxcrypto keep it', async () => {
    const fx = JSON.parse(readFileSync(new URL('../crypto/olm/testdata/libolm_chains.json', import.meta.url), 'utf8'));
    const key = fx.pickleKey;
    const step = (label) => fx.steps.find((s) => s.label === label);
    const msg = (s) => ({ type: s.type, body: s.body });
    const pickle = step('N1').before;
    const state = decodeLibolmSessionPickle(pickle, key);
    assert.equal(state.senderChains.length, 1);
    assert.equal(state.receiverChains.length, 5);
    const arrivals = ['N1', 'late h2', 'late h0'].map(step);
    const lateFirst = ['late h2', 'late h0', 'N1'].map(step);
    const Olm = createRequire(import.meta.url)('@matrix-org/olm');
    await Olm.init();
    const libolmDecrypts = (p, steps) => {
      const s = new Olm.Session();
      s.unpickle(key, p);
      return steps.map((st) => {
        try {
          return s.decrypt(st.type, st.body);
        } catch (e) {
          return e.message;
        }
      });
    };
    const vodozemacDecrypts = async (p, steps) => {
      const { session } = await vz.call('session_from_libolm_pickle', { pickle: p, key });
      const out = [];
      for (const st of steps) out.push(await vz.call('session_decrypt', { session, message: msg(st) }).catch((e) => e.message));
      return out;
    };
    const plaintexts = (steps) => steps.map((st) => st.plaintext);
    const badMac = /^vodozemac session_decrypt: OlmDecryptionException: Failed decrypting Olm message, invalid MAC/;

    // Our export of this state is libolm's bytes; we and libolm decrypt all three.
    const mine = await mx.olm.importLibolmSession(pickle, key);
    assert.equal(await mine.exportLibolmPickle(key), pickle, 'our libolm export is byte-identical to libolm\'s');
    for (const st of arrivals) assert.equal(await mine.decrypt(msg(st)), st.plaintext);
    assert.deepEqual(libolmDecrypts(pickle, arrivals), plaintexts(arrivals));

    // vodozemac has the right keys (late messages first: all decrypt), but
    // once N1 starts a sixth chain it drops the newest imported chain, so
    // both late messages fail.
    assert.deepEqual(await vodozemacDecrypts(pickle, lateFirst), plaintexts(lateFirst));
    const [n1, h2, h0] = await vodozemacDecrypts(pickle, arrivals);
    assert.equal(n1, step('N1').plaintext);
    assert.match(h2, badMac);
    assert.match(h0, badMac);

    // No other order serves both. Oldest first suits vodozemac here, but
    // libolm then drops the newest chain itself ...
    const reversed = encodeLibolmSessionPickle({ ...state, receiverChains: state.receiverChains.toReversed() }, key);
    assert.deepEqual(await vodozemacDecrypts(reversed, arrivals), plaintexts(arrivals));
    assert.deepEqual(libolmDecrypts(reversed, arrivals), [step('N1').plaintext, 'OLM.BAD_MESSAGE_MAC', 'OLM.BAD_MESSAGE_MAC']);
    // ... and with no sender chain vodozemac answers the first pickled chain,
    // which must then be the newest: with the oldest there, Alice cannot
    // decrypt its reply.
    const inactive = decodeLibolmSessionPickle(step('reply').before, key);
    assert.equal(inactive.senderChains.length, 0);
    for (const [order, chains, expect] of [
      ['newest first', inactive.receiverChains, 'ok'],
      ['oldest first', inactive.receiverChains.toReversed(), 'OLM.BAD_MESSAGE_MAC'],
    ]) {
      const { session } = await vz.call('session_from_libolm_pickle', { pickle: encodeLibolmSessionPickle({ ...inactive, receiverChains: chains }, key), key });
      const reply = await vz.call('session_encrypt', { session, plaintext: 'reply' });
      const got = libolmDecrypts(step('alice gets reply').before, [reply]).map((r) => (r === 'reply' ? 'ok' : r));
      assert.deepEqual(got, [expect], `vodozemac's reply from a pickle with its chains ${order}`);
    }
  });
});

describe('Megolm with vodozemac', () => {
  const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
  const shuffled = (list) => list.map((v) => [Math.random(), v]).sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const texts = () => range(0, MEGOLM_MESSAGES).map((i) => `${i} ${randomString(i % 20 === 0 ? 600 : 60)}`);

  test('mxcrypto outbound → vodozemac inbound: sharing format (sessionKey, m.room_key) and export format', async () => {
    const out = await mx.megolm.createOutboundSession();
    const key0 = await out.sessionKey();
    const plain = texts();
    const cts = [];
    for (const t of plain) cts.push(await out.encrypt(t));

    const inb = await vz.call('inbound_group_new', { session_key: key0 });
    assert.equal(inb.session_id, out.sessionId);
    assert.equal(inb.first_known_index, 0);
    for (const i of shuffled(range(0, MEGOLM_MESSAGES))) {
      const r = await vz.call('inbound_group_decrypt', { inbound: inb.inbound, message: cts[i] });
      assert.equal(r.message_index, i);
      assert.ok(r.plaintext === plain[i], `message ${i}: ${escapeText(r.plaintext)}`);
    }

    // The m.room_key content's session_key, at the current index.
    const content = await out.roomKeyContent('!room:example.org', { sharedHistory: true });
    const fromContent = await vz.call('inbound_group_new', { session_key: content.session_key });
    assert.equal(fromContent.first_known_index, MEGOLM_MESSAGES);
    const next = await out.encrypt('after the room key');
    assert.equal((await vz.call('inbound_group_decrypt', { inbound: fromContent.inbound, message: next })).plaintext, 'after the room key');

    // Export format: our inbound copy exported at 20 → vodozemac import.
    const mine = await mx.megolm.createInboundSession(key0);
    const exported = await mine.export(20);
    const imported = await vz.call('inbound_group_import', { exported });
    assert.equal(imported.first_known_index, 20);
    for (const i of shuffled(range(20, MEGOLM_MESSAGES))) {
      assert.equal((await vz.call('inbound_group_decrypt', { inbound: imported.inbound, message: cts[i] })).plaintext, plain[i]);
    }
    await assert.rejects(vz.call('inbound_group_decrypt', { inbound: imported.inbound, message: cts[19] }), /MegolmDecryptionException/);

    // Exports are the same bytes in both implementations.
    for (const i of [0, 1, 20, 255, 256, 1000, 65536]) {
      assert.equal(await vz.call('inbound_group_export', { inbound: inb.inbound, index: i }), await mine.export(i), `export at ${i}`);
    }

    // Our libolm pickle of the inbound session loads in vodozemac.
    const fromPickle = await vz.call('inbound_group_from_libolm_pickle', { pickle: await mine.exportLibolmPickle(PICKLE_KEY), key: PICKLE_KEY });
    assert.equal(fromPickle.session_id, out.sessionId);
    assert.equal(fromPickle.first_known_index, 0);
    assert.equal((await vz.call('inbound_group_decrypt', { inbound: fromPickle.inbound, message: cts[7] })).plaintext, plain[7]);
  });

  test('vodozemac outbound → mxcrypto inbound: sharing format and export format', async () => {
    const group = await vz.call('group_new');
    assert.equal(group.message_index, 0);
    const plain = texts();
    const cts = [];
    for (const [i, t] of plain.entries()) {
      const r = await vz.call('group_encrypt', { group: group.group, plaintext: t });
      assert.equal(r.message_index, i);
      cts.push(r.ciphertext);
    }

    const inb = await mx.megolm.createInboundSession(group.session_key);
    assert.equal(inb.sessionId, group.session_id);
    assert.equal(inb.firstKnownIndex, 0);
    assert.equal(inb.isVerified, true);
    for (const i of shuffled(range(0, MEGOLM_MESSAGES))) {
      const r = await inb.decrypt(cts[i]);
      assert.equal(r.messageIndex, i);
      assert.ok(r.plaintext === plain[i], `message ${i}: ${escapeText(r.plaintext)}`);
    }

    // A session key at the current index.
    const { session_key: keyNow, message_index: indexNow } = await vz.call('group_session_key', { group: group.group });
    assert.equal(indexNow, MEGOLM_MESSAGES);
    const late = await mx.megolm.createInboundSession(keyNow);
    assert.equal(late.firstKnownIndex, MEGOLM_MESSAGES);
    const next = await vz.call('group_encrypt', { group: group.group, plaintext: 'next' });
    assert.deepEqual(await late.decrypt(next.ciphertext), { plaintext: 'next', messageIndex: MEGOLM_MESSAGES });
    await rejectsWithCode(() => late.decrypt(cts[MEGOLM_MESSAGES - 1]), 'UNKNOWN_MESSAGE_INDEX');

    // Export format: vodozemac's inbound exported at 20 → ours.
    const theirInbound = await vz.call('inbound_group_new', { session_key: group.session_key });
    const exported = await vz.call('inbound_group_export', { inbound: theirInbound.inbound, index: 20 });
    const imported = await mx.megolm.importInboundSession(exported);
    assert.equal(imported.sessionId, group.session_id);
    assert.equal(imported.firstKnownIndex, 20);
    assert.equal(imported.isVerified, false);
    for (const i of shuffled(range(20, MEGOLM_MESSAGES))) {
      assert.equal((await imported.decrypt(cts[i])).plaintext, plain[i]);
    }
    await rejectsWithCode(() => imported.decrypt(cts[19]), 'UNKNOWN_MESSAGE_INDEX');
    assert.equal(await imported.export(20), exported, 'our re-export equals vodozemac\'s export');
    for (const i of [21, 300, 70000]) {
      assert.equal(await imported.export(i), await vz.call('inbound_group_export', { inbound: theirInbound.inbound, index: i }), `export at ${i}`);
    }

    // A tampered vodozemac message: BAD_SIGNATURE.
    const bytes = Buffer.from(cts[3], 'base64');
    bytes[bytes.length - 70] ^= 1;
    await rejectsWithCode(() => inb.decrypt(b64(bytes)), 'BAD_SIGNATURE');
    // A vodozemac session key with a bad signature is refused.
    const sk = Buffer.from(group.session_key, 'base64');
    sk[sk.length - 1] ^= 1;
    await rejectsWithCode(() => mx.megolm.createInboundSession(b64(sk)), ['BAD_SIGNATURE']);
  });
});
