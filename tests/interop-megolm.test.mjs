// Megolm between mxcrypto and libolm 3.2.15 (@matrix-org/olm): 1,000
// messages each way (in order, out of order, from an export at index 500),
// session keys (sharing format, v2) and exports (v1) in both directions and
// byte for byte, libolm pickles in both directions, decryption error codes,
// replay detection, keepBetter and room-key contents.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadOlm } from './helpers/peers.mjs';
import { b64, randomKey, randomRoomId, randomString, unb64 } from './helpers/random.mjs';
import { escapeText, rejectsWithCode } from './helpers/util.mjs';

const N = 1000;
const MID = 500;
const PICKLE_KEY = 'megolm pickle key ✓ ключ';

let mx;
let Olm;

function shuffled(list) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

/** Event-like plaintexts; no U+0000 (libolm's JS binding stops at NUL). */
function eventText(i) {
  return JSON.stringify({ type: 'm.room.message', content: { body: `${i}: ${randomString(i % 50 === 0 ? 1200 : 50)}`, msgtype: 'm.text' }, room_id: '!room:example.org' });
}

function libolmInboundFromKey(sessionKey) {
  const s = new Olm.InboundGroupSession();
  s.create(sessionKey);
  return s;
}

function libolmInboundFromExport(exported) {
  const s = new Olm.InboundGroupSession();
  s.import_session(exported);
  return s;
}

/** libolm decrypt, expecting failure; returns the libolm error message. */
function libolmFails(inb, ciphertext) {
  try {
    const r = inb.decrypt(ciphertext);
    return assert.fail(`libolm decrypted ${JSON.stringify(r)}`);
  } catch (e) {
    return e.message;
  }
}

async function mxDecryptAll(inb, cts, texts, order, label) {
  for (const i of order) {
    let r;
    try {
      r = await inb.decrypt(cts[i]);
    } catch (e) {
      assert.fail(`${label}: message ${i}: ${e.code}: ${e.message}`);
    }
    assert.equal(r.messageIndex, i, `${label}: message index`);
    assert.ok(r.plaintext === texts[i], `${label}: message ${i}: got ${escapeText(r.plaintext)}`);
  }
}

function libolmDecryptAll(inb, cts, texts, order, label) {
  for (const i of order) {
    const r = inb.decrypt(cts[i]);
    assert.equal(r.message_index, i, `${label}: message index`);
    assert.ok(r.plaintext === texts[i], `${label}: message ${i}: got ${escapeText(r.plaintext)}`);
  }
}

// A few sessions shared by several tests, made once.
let ours; // { out, key0, texts, cts }: mxcrypto outbound, N messages
let theirs; // { og, key0, texts, cts }: libolm outbound, N messages
before(async () => {
  [mx, Olm] = await Promise.all([loadMx(), loadOlm()]);
  const out = await mx.megolm.createOutboundSession();
  assert.equal(out.messageIndex, 0);
  const key0 = await out.sessionKey();
  const texts = range(0, N).map(eventText);
  const cts = [];
  for (let i = 0; i < N; i++) {
    assert.equal(out.messageIndex, i);
    cts.push(await out.encrypt(texts[i]));
  }
  assert.equal(out.messageIndex, N);
  ours = { out, key0, texts, cts };

  const og = new Olm.OutboundGroupSession();
  og.create();
  const tKey0 = og.session_key();
  const tTexts = range(0, N).map(eventText);
  const keyAt = {}; // libolm session keys (v2) at a few indices
  const tCts = tTexts.map((t, i) => {
    if (i === 5) keyAt[i] = og.session_key();
    return og.encrypt(t);
  });
  theirs = { og, key0: tKey0, keyAt, texts: tTexts, cts: tCts };
});

describe(`mxcrypto outbound → libolm inbound (${N} messages)`, () => {
  test('in order, from the session key at index 0', () => {
    const inb = libolmInboundFromKey(ours.key0);
    assert.equal(inb.session_id(), ours.out.sessionId);
    assert.equal(inb.first_known_index(), 0);
    libolmDecryptAll(inb, ours.cts, ours.texts, range(0, N), 'libolm in order');
    inb.free();
  });

  test('out of order', () => {
    const inb = libolmInboundFromKey(ours.key0);
    libolmDecryptAll(inb, ours.cts, ours.texts, shuffled(range(0, N)), 'libolm shuffled');
    // and again: Megolm messages can be decrypted any number of times
    libolmDecryptAll(inb, ours.cts, ours.texts, shuffled(range(0, N)).slice(0, 100), 'libolm again');
    inb.free();
  });

  test(`from our export at index ${MID}`, async () => {
    const mine = await mx.megolm.createInboundSession(ours.key0);
    const exported = await mine.export(MID);
    assert.match(exported, /^AQAAAf[A-Za-z0-9+/]{214}$/, 'export format v1, index 500, 165 bytes unpadded');
    const inb = libolmInboundFromExport(exported);
    assert.equal(inb.first_known_index(), MID);
    assert.equal(inb.session_id(), ours.out.sessionId);
    libolmDecryptAll(inb, ours.cts, ours.texts, shuffled(range(MID, N)), 'libolm from export');
    assert.match(libolmFails(inb, ours.cts[MID - 1]), /UNKNOWN_MESSAGE_INDEX/);
    inb.free();
  });
});

describe(`libolm outbound → mxcrypto inbound (${N} messages)`, () => {
  test('in order, from the session key at index 0', async () => {
    const inb = await mx.megolm.createInboundSession(theirs.key0);
    assert.equal(inb.sessionId, theirs.og.session_id());
    assert.equal(inb.firstKnownIndex, 0);
    assert.equal(inb.isVerified, true, 'a session from a signed session key is verified');
    await mxDecryptAll(inb, theirs.cts, theirs.texts, range(0, N), 'ours in order');
  });

  test('out of order', async () => {
    const inb = await mx.megolm.createInboundSession(theirs.key0);
    await mxDecryptAll(inb, theirs.cts, theirs.texts, shuffled(range(0, N)), 'ours shuffled');
    await mxDecryptAll(inb, theirs.cts, theirs.texts, shuffled(range(0, N)).slice(0, 100), 'ours again');
    assert.equal(inb.firstKnownIndex, 0);
  });

  test(`from libolm's export at index ${MID}`, async () => {
    const lib = libolmInboundFromKey(theirs.key0);
    const inb = await mx.megolm.importInboundSession(lib.export_session(MID));
    assert.equal(inb.sessionId, theirs.og.session_id());
    assert.equal(inb.firstKnownIndex, MID);
    assert.equal(inb.isVerified, false, 'an imported (unsigned) export starts unverified');
    await mxDecryptAll(inb, theirs.cts, theirs.texts, shuffled(range(MID, N)), 'ours from export');
    await rejectsWithCode(() => inb.decrypt(theirs.cts[MID - 1]), 'UNKNOWN_MESSAGE_INDEX', `message ${MID - 1} below the first known index`);
    await rejectsWithCode(() => inb.decrypt(theirs.cts[0]), 'UNKNOWN_MESSAGE_INDEX', 'message 0 below the first known index');
    assert.equal(inb.firstKnownIndex, MID);
    lib.free();
  });
});

describe('session keys (v2) and exports (v1) across', () => {
  test('session keys at a later index, both ways', async () => {
    // libolm outbound after 10 messages → ours
    const og = new Olm.OutboundGroupSession();
    og.create();
    const early = range(0, 10).map((i) => og.encrypt(`early ${i}`));
    const key10 = og.session_key();
    const late = og.encrypt('late');
    const inb = await mx.megolm.createInboundSession(key10);
    assert.equal(inb.firstKnownIndex, 10);
    assert.deepEqual(await inb.decrypt(late), { plaintext: 'late', messageIndex: 10 });
    await rejectsWithCode(() => inb.decrypt(early[9]), 'UNKNOWN_MESSAGE_INDEX', 'message 9, before the session key');

    // ours after 10 messages → libolm
    const out = await mx.megolm.createOutboundSession();
    const ourEarly = [];
    for (let i = 0; i < 10; i++) ourEarly.push(await out.encrypt(`early ${i}`));
    const ourKey10 = await out.sessionKey();
    const raw = unb64(ourKey10);
    assert.equal(raw.length, 229, 'sharing format: 229 bytes');
    assert.equal(raw[0], 2, 'sharing format version 2');
    assert.equal(Buffer.from(raw).readUInt32BE(1), 10, 'index 10');
    const lib = libolmInboundFromKey(ourKey10);
    assert.equal(lib.first_known_index(), 10);
    assert.deepEqual(lib.decrypt(await out.encrypt('late')), { message_index: 10, plaintext: 'late' });
    assert.match(libolmFails(lib, ourEarly[9]), /UNKNOWN_MESSAGE_INDEX/);

    // the m.room_key content carries the same session key
    const content = await out.roomKeyContent('!room:example.org', { sharedHistory: false });
    assert.equal(content.session_id, out.sessionId);
    const fromContent = libolmInboundFromKey(content.session_key);
    assert.equal(fromContent.first_known_index(), 11);
    assert.equal(fromContent.decrypt(await out.encrypt('after')).plaintext, 'after');
    for (const o of [og, lib, fromContent]) o.free();
  });

  test('exports at many indices (ratchet boundaries up to 2^24) are identical in both implementations', async () => {
    const libFromOurs = libolmInboundFromKey(ours.key0);
    const mineFromTheirs = await mx.megolm.createInboundSession(theirs.key0);
    const libFromTheirs = libolmInboundFromKey(theirs.key0);
    const mineFromOurs = await mx.megolm.createInboundSession(ours.key0);
    const indices = [0, 1, 2, 254, 255, 256, 257, 499, 500, 511, 512, 999, 1000, 65535, 65536, 65537, 70000, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 258];
    for (const i of indices) {
      const a = await mineFromOurs.export(i);
      assert.equal(a, libFromOurs.export_session(i), `our session, export at ${i}`);
      const b = await mineFromTheirs.export(i);
      assert.equal(b, libFromTheirs.export_session(i), `libolm's session, export at ${i}`);
    }
    // Exports made by one side import on the other and re-export unchanged.
    for (const i of [0, 257, MID, 65536]) {
      const fromLib = await mx.megolm.importInboundSession(libFromTheirs.export_session(i));
      assert.equal(fromLib.firstKnownIndex, i);
      assert.equal(await fromLib.export(), libFromTheirs.export_session(i), `re-export at ${i}`);
      const fromMine = libolmInboundFromExport(await mineFromOurs.export(i));
      assert.equal(fromMine.first_known_index(), i);
      assert.equal(fromMine.export_session(i), await mineFromOurs.export(i));
      if (i < N) {
        assert.equal((await fromLib.decrypt(theirs.cts[i])).plaintext, theirs.texts[i]);
        assert.equal(fromMine.decrypt(ours.cts[i]).plaintext, ours.texts[i]);
      }
      fromMine.free();
    }
    // An export at an index above the ones seen decrypts messages sent later.
    const exportAhead = await mineFromOurs.export(N + 5);
    const ahead = libolmInboundFromExport(exportAhead);
    const out = await mx.megolm.unpickleOutboundSession(await ours.out.pickle(randomKey().fill(1)), randomKey().fill(1));
    const later = [];
    for (let i = 0; i < 7; i++) later.push(await out.encrypt(`later ${i}`));
    assert.equal(ahead.decrypt(later[5]).plaintext, 'later 5');
    assert.match(libolmFails(ahead, later[4]), /UNKNOWN_MESSAGE_INDEX/);
    for (const o of [libFromOurs, libFromTheirs, ahead]) o.free();
  });

  test('m.room_key / m.forwarded_room_key contents carrying libolm keys', async () => {
    const senderKey = b64(randomKey());
    const claimed = b64(randomKey());
    const roomId = randomRoomId();
    const sessionId = theirs.og.session_id();
    const rk = await mx.megolm.parseRoomKey(
      { algorithm: 'm.megolm.v1.aes-sha2', room_id: roomId, session_id: sessionId, session_key: theirs.keyAt[5] },
      { senderKey, senderClaimedEd25519Key: claimed },
    );
    assert.equal(rk.roomId, roomId);
    assert.equal(rk.sessionId, sessionId);
    assert.equal(rk.senderKey, senderKey);
    assert.equal(rk.senderClaimedEd25519Key, claimed);
    assert.equal(rk.forwarded, false);
    assert.equal(rk.session.firstKnownIndex, 5);
    assert.equal(rk.session.isVerified, true);
    assert.deepEqual(await rk.session.decrypt(theirs.cts[5]), { plaintext: theirs.texts[5], messageIndex: 5 });

    const lib = libolmInboundFromKey(theirs.key0);
    const chain = [b64(randomKey())];
    const fwd = await mx.megolm.parseForwardedRoomKey({
      algorithm: 'm.megolm.v1.aes-sha2',
      room_id: roomId,
      sender_key: senderKey,
      session_id: sessionId,
      session_key: lib.export_session(300),
      sender_claimed_ed25519_key: claimed,
      forwarding_curve25519_key_chain: chain,
    });
    assert.equal(fwd.forwarded, true);
    assert.deepEqual(fwd.forwardingCurve25519KeyChain, chain);
    assert.equal(fwd.session.firstKnownIndex, 300);
    assert.equal(fwd.session.isVerified, false);
    assert.deepEqual(await fwd.session.decrypt(theirs.cts[301]), { plaintext: theirs.texts[301], messageIndex: 301 });
    await rejectsWithCode(() => fwd.session.decrypt(theirs.cts[299]), 'UNKNOWN_MESSAGE_INDEX');
    lib.free();
  });

  test('empty and large (about 70 KB) plaintexts, both ways', async () => {
    const big = randomString(30000, { minLen: 30000 }); // 30,000 code points, about 70 KB of UTF-8
    const out = await mx.megolm.createOutboundSession();
    const lib = libolmInboundFromKey(await out.sessionKey());
    const og = new Olm.OutboundGroupSession();
    og.create();
    const mine = await mx.megolm.createInboundSession(og.session_key());
    for (const text of ['', big, '\u{1F510}']) {
      assert.ok(lib.decrypt(await out.encrypt(text)).plaintext === text, `mxcrypto → libolm: ${text.length} UTF-16 units`);
      assert.ok((await mine.decrypt(og.encrypt(text))).plaintext === text, `libolm → mxcrypto: ${text.length} UTF-16 units`);
    }
    for (const o of [lib, og]) o.free();
  });

  test('padded base64 from other clients is accepted (session key, ciphertext)', async () => {
    const pad = (t) => t + '='.repeat((4 - (t.length % 4)) % 4);
    assert.notEqual(theirs.key0.length % 4, 0, 'a v2 session key needs padding');
    const inb = await mx.megolm.createInboundSession(pad(theirs.key0));
    assert.equal(inb.sessionId, theirs.og.session_id());
    const i = theirs.cts.findIndex((c) => c.length % 4 !== 0);
    assert.ok(i >= 0);
    assert.deepEqual(await inb.decrypt(pad(theirs.cts[i])), { plaintext: theirs.texts[i], messageIndex: i });
  });

  test('a libolm session key and our sessionKey() are the same bytes for the same outbound state', async () => {
    const og = new Olm.OutboundGroupSession();
    og.create();
    for (let i = 0; i < 3; i++) og.encrypt(`m${i}`);
    const copy = await mx.megolm.importLibolmOutboundSession(og.pickle(PICKLE_KEY), PICKLE_KEY);
    assert.equal(await copy.sessionKey(), og.session_key(), 'Ed25519 is deterministic, so the signed session key is identical');
    og.free();
  });
});

describe('libolm pickles', () => {
  test('libolm inbound pickle → mxcrypto', async () => {
    const lib = libolmInboundFromKey(theirs.key0);
    libolmDecryptAll(lib, theirs.cts, theirs.texts, [3, 700, 5], 'libolm'); // advances its latest ratchet
    const p = lib.pickle(PICKLE_KEY);
    await rejectsWithCode(() => mx.megolm.importLibolmInboundSession(p, 'not the key'), 'WRONG_KEY', 'inbound pickle, wrong key');
    const inb = await mx.megolm.importLibolmInboundSession(p, PICKLE_KEY);
    assert.equal(await inb.exportLibolmPickle(PICKLE_KEY), p, 'unchanged state: the same libolm pickle back');
    assert.equal(inb.sessionId, lib.session_id());
    assert.equal(inb.firstKnownIndex, 0);
    assert.equal(await inb.export(0), lib.export_session(0));
    await mxDecryptAll(inb, theirs.cts, theirs.texts, shuffled(range(0, N)).slice(0, 200), 'imported');

    // an imported export (unverified in libolm until a message decrypts)
    const lib2 = libolmInboundFromExport(lib.export_session(MID));
    const p2 = lib2.pickle(PICKLE_KEY);
    const inb2 = await mx.megolm.importLibolmInboundSession(p2, PICKLE_KEY);
    assert.equal(inb2.firstKnownIndex, MID);
    assert.equal(await inb2.exportLibolmPickle(PICKLE_KEY), p2);
    await mxDecryptAll(inb2, theirs.cts, theirs.texts, [MID, N - 1], 'imported export');
    await rejectsWithCode(() => inb2.decrypt(theirs.cts[MID - 1]), 'UNKNOWN_MESSAGE_INDEX');
    for (const o of [lib, lib2]) o.free();
  });

  test('libolm outbound pickle → mxcrypto continues the session, with identical ciphertexts', async () => {
    const og = new Olm.OutboundGroupSession();
    og.create();
    const lib = libolmInboundFromKey(og.session_key());
    for (let i = 0; i < 5; i++) og.encrypt(`before ${i}`);
    const p = og.pickle(PICKLE_KEY);
    await rejectsWithCode(() => mx.megolm.importLibolmOutboundSession(p, 'not the key'), 'WRONG_KEY', 'outbound pickle, wrong key');
    const out = await mx.megolm.importLibolmOutboundSession(p, PICKLE_KEY);
    assert.equal(out.sessionId, og.session_id());
    assert.equal(out.messageIndex, 5);
    assert.equal(await out.exportLibolmPickle(PICKLE_KEY), p, 'unchanged state: the same libolm pickle back');
    for (let i = 5; i < 30; i++) {
      const text = eventText(i);
      const mine = await out.encrypt(text);
      assert.equal(mine, og.encrypt(text), `message ${i}: Megolm encryption is deterministic`);
      assert.deepEqual(lib.decrypt(mine), { message_index: i, plaintext: text });
    }
    assert.equal(out.messageIndex, 30);
    for (const o of [og, lib]) o.free();
  });

  test('our outbound and inbound sessions → libolm pickles → libolm continues', async () => {
    const out = await mx.megolm.createOutboundSession();
    const inb = await mx.megolm.createInboundSession(await out.sessionKey());
    for (let i = 0; i < 7; i++) await inb.decrypt(await out.encrypt(`before ${i}`));

    const og = new Olm.OutboundGroupSession();
    og.unpickle(PICKLE_KEY, await out.exportLibolmPickle(PICKLE_KEY));
    assert.equal(og.session_id(), out.sessionId);
    assert.equal(og.message_index(), 7);
    assert.equal(og.session_key(), await out.sessionKey());
    const lib = new Olm.InboundGroupSession();
    lib.unpickle(PICKLE_KEY, await inb.exportLibolmPickle(new TextEncoder().encode(PICKLE_KEY)));
    assert.equal(lib.session_id(), inb.sessionId);
    assert.equal(lib.first_known_index(), 0);
    assert.equal(lib.export_session(3), await inb.export(3));
    for (let i = 7; i < 40; i++) {
      const text = eventText(i);
      const ct = og.encrypt(text);
      assert.equal(ct, await out.encrypt(text), `message ${i}: same ciphertext from the same state`);
      assert.deepEqual(lib.decrypt(ct), { message_index: i, plaintext: text });
      assert.deepEqual(await inb.decrypt(ct), { plaintext: text, messageIndex: i });
    }
    for (const o of [og, lib]) o.free();
  });
});

describe('errors and replay', () => {
  function flip(ct, index, bit = 0x01) {
    const bytes = unb64(ct);
    bytes[index < 0 ? bytes.length + index : index] ^= bit;
    return b64(bytes);
  }

  test('UNKNOWN_MESSAGE_INDEX below the first known index', async () => {
    const lib = libolmInboundFromKey(theirs.key0);
    for (const first of [1, 255, 256, 999]) {
      const inb = await mx.megolm.importInboundSession(lib.export_session(first));
      await rejectsWithCode(() => inb.decrypt(theirs.cts[first - 1]), 'UNKNOWN_MESSAGE_INDEX', `index ${first - 1} < ${first}`);
      assert.equal((await inb.decrypt(theirs.cts[first])).messageIndex, first);
      await rejectsWithCode(() => inb.decrypt(theirs.cts[0]), 'UNKNOWN_MESSAGE_INDEX', `index 0 < ${first}, after a decryption`);
      assert.equal(inb.firstKnownIndex, first);
    }
    lib.free();
  });

  test('tampered messages: BAD_SIGNATURE; a session with the wrong ratchet: BAD_MAC', async () => {
    const inb = await mx.megolm.createInboundSession(theirs.key0);
    const ct = theirs.cts[42];
    const len = unb64(ct).length;
    const tampered = [
      ['last signature byte', flip(ct, -1)],
      ['first signature byte', flip(ct, -64, 0x80)],
      ['a MAC byte', flip(ct, -65)],
      ['a ciphertext byte', flip(ct, len - 80)],
      ['the message index', flip(ct, 2, 0x02)],
    ];
    for (const [what, body] of tampered) {
      await rejectsWithCode(() => inb.decrypt(body), 'BAD_SIGNATURE', `message with ${what} changed`);
    }
    // libolm agrees that these are bad signatures
    const lib = libolmInboundFromKey(theirs.key0);
    for (const [, body] of tampered) assert.match(libolmFails(lib, body), /BAD_SIGNATURE/);

    // A message of another session under this session: BAD_SIGNATURE.
    await rejectsWithCode(() => inb.decrypt(ours.cts[42]), 'BAD_SIGNATURE', 'message of another session');

    // The right signing key but a different ratchet (a damaged export): the
    // signature verifies, the MAC does not.
    const exp = unb64(lib.export_session(0));
    exp[5 + 17] ^= 0x10; // a byte of R_0
    const wrong = await mx.megolm.importInboundSession(b64(exp));
    assert.equal(wrong.sessionId, inb.sessionId);
    await rejectsWithCode(() => wrong.decrypt(ct), 'BAD_MAC', 'decrypting with a wrong ratchet');
    const wrongLib = libolmInboundFromExport(b64(exp));
    assert.match(libolmFails(wrongLib, ct), /BAD_MESSAGE_MAC/);

    // Nothing changed: the real message still decrypts.
    assert.deepEqual(await inb.decrypt(ct), { plaintext: theirs.texts[42], messageIndex: 42 });
    for (const o of [lib, wrongLib]) o.free();
  });

  test('REPLAYED_MESSAGE via ReplayGuard', async () => {
    const inb = await mx.megolm.createInboundSession(theirs.key0);
    const guard = new mx.megolm.ReplayGuard();
    const events = range(0, 20).map((i) => ({ eventId: `$event${i}:example.org`, ct: theirs.cts[i] }));
    for (const { eventId, ct } of events) {
      const { messageIndex } = await inb.decrypt(ct);
      await guard.check(inb.sessionId, messageIndex, eventId);
    }
    // The same event decrypted again (e.g. after a restart): not a replay.
    const again = await inb.decrypt(events[7].ct);
    await guard.check(inb.sessionId, again.messageIndex, events[7].eventId);
    // The same ciphertext in another event: it decrypts, but is a replay.
    const replay = await inb.decrypt(events[7].ct);
    assert.equal(replay.plaintext, theirs.texts[7]);
    const isReplay = (e) => {
      assert.equal(e.code, 'REPLAYED_MESSAGE');
      assert.ok(e instanceof Error && e.message.length > 0);
      return true;
    };
    await assert.rejects(guard.check(inb.sessionId, replay.messageIndex, '$attacker:example.org'), isReplay);
    // Export / import keeps what was seen; Go reads the export.
    const restored = await mx.megolm.ReplayGuard.import(await guard.export());
    assert.equal(await restored.export(), await guard.export());
    await assert.rejects(restored.check(inb.sessionId, 7, '$attacker:example.org'), isReplay);
    await restored.check(inb.sessionId, 7, events[7].eventId);
    // Other sessions are separate.
    await restored.check(ours.out.sessionId, 7, '$other:example.org');
    // An export in another shape is Go's BAD_INPUT, and so is an object instead of text.
    await assert.rejects(mx.megolm.ReplayGuard.import('{"version":1,"sessions":{"s":5}}'), { code: 'BAD_INPUT' });
    await assert.rejects(mx.megolm.ReplayGuard.import({ version: 1, sessions: {} }), { code: 'BAD_INPUT' });
  });

  test('keepBetter keeps the copy with the lower first known index', async () => {
    const lib = libolmInboundFromKey(theirs.key0);
    const at5 = await mx.megolm.createInboundSession(theirs.keyAt[5]);
    assert.equal(at5.firstKnownIndex, 5);
    assert.equal(at5.isVerified, true);
    const at2 = await mx.megolm.importInboundSession(lib.export_session(2));
    assert.equal(at2.isVerified, false);

    let r = await mx.megolm.keepBetter(at5, at2);
    assert.equal(r.kept, 'incoming');
    assert.equal(r.session.firstKnownIndex, 2);
    assert.equal(r.session.isVerified, true, 'verified if either copy was');
    assert.equal(await r.session.export(), lib.export_session(2));
    assert.equal((await r.session.decrypt(theirs.cts[2])).plaintext, theirs.texts[2]);

    r = await mx.megolm.keepBetter(at2, at5);
    assert.equal(r.kept, 'existing');
    assert.equal(r.session.firstKnownIndex, 2);
    assert.equal(r.session.isVerified, true);

    const same = await mx.megolm.importInboundSession(lib.export_session(2));
    r = await mx.megolm.keepBetter(at2, same);
    assert.equal(r.kept, 'existing');
    assert.equal(r.session.firstKnownIndex, 2);

    // A copy with the same session id whose ratchet does not agree.
    const exp = unb64(lib.export_session(1));
    exp[100] ^= 1;
    const fake = await mx.megolm.importInboundSession(b64(exp));
    r = await mx.megolm.keepBetter(at5, fake);
    assert.equal(r.kept, 'conflict');
    assert.equal(r.session.firstKnownIndex, 5, 'on conflict the existing copy is kept');

    // Different sessions are not copies of each other.
    const other = await mx.megolm.createInboundSession(ours.key0);
    await rejectsWithCode(() => mx.megolm.keepBetter(at5, other), 'BAD_INPUT', 'keepBetter of two different sessions');
    lib.free();
  });
});
