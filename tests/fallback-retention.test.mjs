// Fallback keys over simulated time (docs/keys.md §7, MSC2732/MSC4081): rotation
// when there is none, after use, when the server handed the key out and
// after the rotation period; retention of replaced private keys for the
// retention window after replacement, never purging the most recently
// replaced one; pre-key messages from libolm and from mxcrypto to retained
// and purged keys; fallbackKeyStatus times.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadOlm } from './helpers/peers.mjs';
import { b64, randomKey, randomString, unb64 } from './helpers/random.mjs';
import { rejectsWithCode } from './helpers/util.mjs';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const RETENTION = 30 * DAY; // default fallbackRetentionMs
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

let mx;
let Olm;
before(async () => {
  [mx, Olm] = await Promise.all([loadMx(), loadOlm()]);
});

/** A settable clock for the `now` option. */
function clock(start = T0) {
  const c = {
    t: start,
    now: () => c.t,
    advance(ms) {
      c.t += ms;
      return c.t;
    },
  };
  return c;
}

/** A pre-key message from a fresh libolm account to `theirKey` of `target`. */
function prekeyFromLibolm(target, theirKey) {
  const sender = new Olm.Account();
  sender.create();
  const session = new Olm.Session();
  session.create_outbound(sender, target.identityKeys.curve25519, theirKey);
  const text = `libolm → ${theirKey.slice(0, 8)}: ${randomString(60)}`;
  const m = session.encrypt(text);
  const senderKey = JSON.parse(sender.identity_keys()).curve25519;
  session.free();
  sender.free();
  return { by: 'libolm', theirKey, senderKey, msg: { type: m.type, body: m.body }, text };
}

/** The same from a fresh mxcrypto account. */
async function prekeyFromMx(target, theirKey) {
  const sender = await mx.olm.createAccount();
  const session = await sender.createOutboundSession(target.identityKeys.curve25519, theirKey);
  const text = `mxcrypto → ${theirKey.slice(0, 8)}: ${randomString(60)}`;
  const msg = await session.encrypt(text);
  return { by: 'mxcrypto', theirKey, senderKey: sender.identityKeys.curve25519, msg, text };
}

async function prekeysTo(target, theirKey) {
  return [prekeyFromLibolm(target, theirKey), await prekeyFromMx(target, theirKey)];
}

/**
 * A copy of the account (through its own pickle) on the same clock and
 * settings, to try decryptions without changing the original.
 */
async function copyOf(acct, options) {
  const key = randomKey();
  return mx.olm.unpickleAccount(await acct.pickle(key), key, options);
}

async function assertDecrypts(acct, p, what) {
  let r;
  try {
    r = await acct.createInboundSession(p.senderKey, p.msg);
  } catch (e) {
    assert.fail(`${what}: pre-key message from ${p.by} to ${p.theirKey} should decrypt, got ${e.code}: ${e.message}`);
  }
  assert.equal(r.plaintext, p.text, `${what}: plaintext of the message from ${p.by}`);
}

async function assertUnknownKey(acct, p, what) {
  await rejectsWithCode(() => acct.createInboundSession(p.senderKey, p.msg), 'UNKNOWN_ONE_TIME_KEY', `${what}: pre-key message from ${p.by} to ${p.theirKey}`);
}

const current = (status) => status.find((k) => k.current);

describe('fallback key rotation', () => {
  test('first key, then nothing until published and 7 days old; fallbackKeyStatus times', async () => {
    const clk = clock();
    const acct = await mx.olm.createAccount({ now: clk.now });
    assert.deepEqual(await acct.fallbackKeyStatus(), [], 'no fallback key at first');
    assert.deepEqual(await acct.unpublishedFallbackKey(), {});

    assert.equal(await acct.rotateFallbackKeyIfNeeded(), true, 'a key is made when there is none');
    let status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 1);
    const [k0] = status;
    assert.equal(k0.current, true);
    assert.equal(k0.created, T0);
    assert.equal(k0.published, null);
    assert.equal(k0.replaced, null);
    assert.equal(k0.used, null);
    assert.deepEqual(await acct.unpublishedFallbackKey(), { [k0.keyId]: k0.publicKey });
    const upload = await acct.keysForUpload('@u:example.org', 'DEV');
    assert.deepEqual(Object.keys(upload.fallback_keys), [`signed_curve25519:${k0.keyId}`]);
    assert.equal(upload.fallback_keys[`signed_curve25519:${k0.keyId}`].key, k0.publicKey);

    clk.advance(MINUTE);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(), false, 'not again a minute later');
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);
    clk.advance(MINUTE);
    await acct.markKeysAsPublished();
    status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 1);
    assert.equal(status[0].published, T0 + 2 * MINUTE, 'published time');
    assert.equal(status[0].created, T0);
    assert.deepEqual(await acct.unpublishedFallbackKey(), {});

    clk.t = T0 + WEEK - 1;
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false, 'not before 7 days');
    assert.equal(await acct.rotateFallbackKeyIfNeeded(), false, 'not before 7 days (types not known)');
    clk.t = T0 + WEEK + 1;
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), true, 'rotated after 7 days even if unused');
    status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 2, 'the replaced key is retained');
    assert.equal(status[0].current, true, 'newest first');
    assert.notEqual(status[0].publicKey, k0.publicKey);
    assert.notEqual(status[0].keyId, k0.keyId);
    assert.equal(status[0].created, T0 + WEEK + 1);
    assert.equal(status[0].published, null);
    assert.deepEqual(status[1], { ...k0, current: false, published: T0 + 2 * MINUTE, replaced: T0 + WEEK + 1 });
    assert.deepEqual(await acct.unpublishedFallbackKey(), { [status[0].keyId]: status[0].publicKey });
  });

  test('rotation after use (a pre-key message decrypted), not after a failed one', async () => {
    const clk = clock();
    const acct = await mx.olm.createAccount({ now: clk.now });
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    const k = current(await acct.fallbackKeyStatus());

    // A pre-key message with a bad MAC does not count as use.
    clk.advance(HOUR);
    const p = prekeyFromLibolm(acct, k.publicKey);
    const bad = unb64(p.msg.body);
    bad[bad.length - 1] ^= 1;
    await rejectsWithCode(() => acct.createInboundSession(p.senderKey, { type: 0, body: b64(bad) }), 'BAD_MAC', 'tampered pre-key message');
    assert.equal(current(await acct.fallbackKeyStatus()).used, null, 'a failed decryption does not mark the key used');
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);

    clk.advance(MINUTE);
    const usedAt = clk.t;
    await assertDecrypts(acct, p, 'current key');
    assert.equal(current(await acct.fallbackKeyStatus()).used, usedAt, 'used time');
    clk.advance(MINUTE);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), true, 'rotated because the key was used');
    const status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 2);
    assert.equal(status[1].publicKey, k.publicKey);
    assert.equal(status[1].used, usedAt);
    assert.equal(status[1].replaced, clk.t);
    assert.equal(status[0].used, null);

    // The replaced key still decrypts, for libolm and for mxcrypto senders.
    for (const q of await prekeysTo(acct, k.publicKey)) await assertDecrypts(acct, q, 'replaced, used key');
    // Using an old key does not rotate the current one.
    clk.advance(MINUTE);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false, 'using an old key does not rotate the new one');
  });

  test('rotation when the server no longer lists signed_curve25519 as unused', async () => {
    const clk = clock();
    const acct = await mx.olm.createAccount({ now: clk.now });
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    clk.advance(HOUR);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(undefined), false);
    assert.equal(await acct.rotateFallbackKeyIfNeeded([]), true, 'the server handed the key out');
    assert.equal((await acct.fallbackKeyStatus()).length, 2);
  });
});

describe('fallback key retention', () => {
  test('ten weekly rotations: replaced keys are kept for 30 days (at least one), pre-key messages to them decrypt, to purged ones fail', async () => {
    const clk = clock();
    const options = { now: clk.now };
    const acct = await mx.olm.createAccount(options);
    const history = []; // every key ever current: {keyId, publicKey, replaced, prekeys}

    for (let week = 0; week <= 10; week++) {
      clk.t = T0 + week * (WEEK + MINUTE); // each key is a week and a minute old when replaced
      const rotated = await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']);
      assert.equal(rotated, true, `week ${week}: rotation`);
      if (history.length) history.at(-1).replaced = clk.t;
      clk.advance(SECOND);
      await acct.markKeysAsPublished();
      const k = current(await acct.fallbackKeyStatus());
      // Senders claim the key while it is current; their messages arrive later.
      history.push({ keyId: k.keyId, publicKey: k.publicKey, created: k.created, replaced: null, prekeys: await prekeysTo(acct, k.publicKey) });

      // The held keys are the current one, the old ones replaced at most 30
      // days ago, and always the most recently replaced one.
      const status = await acct.fallbackKeyStatus();
      const old = history.slice(0, -1).reverse();
      const expected = [history.at(-1), ...old.filter((h, i) => i === 0 || clk.t - h.replaced <= RETENTION)];
      assert.deepEqual(
        status.map((s) => s.publicKey),
        expected.map((h) => h.publicKey),
        `week ${week}: held keys (newest first)`,
      );
      for (const [i, s] of status.entries()) {
        assert.equal(s.current, i === 0);
        assert.equal(s.keyId, expected[i].keyId);
        assert.equal(s.created, expected[i].created);
        assert.equal(s.replaced, expected[i].replaced, `week ${week}: replaced time of ${s.keyId}`);
      }
    }

    const held = new Set((await acct.fallbackKeyStatus()).map((s) => s.publicKey));
    const retained = history.filter((h) => held.has(h.publicKey));
    const purged = history.filter((h) => !held.has(h.publicKey));
    assert.ok(retained.length >= 5 && purged.length >= 5, `both retained (${retained.length}) and purged (${purged.length}) keys exist`);

    // Decrypt with a copy of the account, so the original stays as it is.
    const probe = await copyOf(acct, options);
    assert.deepEqual(await probe.fallbackKeyStatus(), await acct.fallbackKeyStatus(), 'the pickle keeps the fallback keys and their times');
    for (const h of retained) for (const p of h.prekeys) await assertDecrypts(probe, p, `retained key ${h.keyId}`);
    for (const h of purged) for (const p of h.prekeys) await assertUnknownKey(probe, p, `purged key ${h.keyId}`);

    // A long absence: at the next rotation every old key but the one just
    // replaced is past the window.
    clk.advance(60 * DAY);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), true);
    const after = await acct.fallbackKeyStatus();
    assert.equal(after.length, 2, 'current + the key just replaced');
    assert.equal(after[1].publicKey, history.at(-1).publicKey);
    assert.equal(after[1].replaced, clk.t);
    const probe2 = await copyOf(acct, options);
    for (const p of history.at(-1).prekeys) await assertDecrypts(probe2, p, 'key replaced after a long absence');
    for (const h of history.slice(0, -1)) for (const p of h.prekeys) await assertUnknownKey(probe2, p, `purged key ${h.keyId}`);
  });

  test('the most recently replaced key is never purged, however old', async () => {
    const clk = clock();
    // A rotation period long enough that rotateFallbackKeyIfNeeded only purges.
    const options = { now: clk.now, fallbackRotationPeriodMs: 10 * 365 * DAY };
    const acct = await mx.olm.createAccount(options);
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    const k0 = current(await acct.fallbackKeyStatus());
    const toK0 = await prekeysTo(acct, k0.publicKey);
    clk.advance(HOUR);
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    const k1 = current(await acct.fallbackKeyStatus());
    const toK1 = await prekeysTo(acct, k1.publicKey);

    clk.advance(400 * DAY);
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false, 'no rotation with a 10-year period');
    let status = await acct.fallbackKeyStatus();
    assert.deepEqual(status.map((s) => s.publicKey), [k1.publicKey, k0.publicKey], 'the only replaced key is kept after 400 days');
    assert.equal(status[1].replaced, T0 + HOUR);
    let probe = await copyOf(acct, options);
    for (const p of toK0) await assertDecrypts(probe, p, 'most recently replaced key, 400 days later');

    // A new key: k1 becomes the most recently replaced, k0 is past the window.
    await acct.generateFallbackKey();
    status = await acct.fallbackKeyStatus();
    assert.deepEqual(status.slice(1).map((s) => s.publicKey), [k1.publicKey], 'k0 purged, k1 kept');
    probe = await copyOf(acct, options);
    for (const p of toK0) await assertUnknownKey(probe, p, 'purged k0');
    for (const p of toK1) await assertDecrypts(probe, p, 'k1 (just replaced)');
  });

  test('custom windows: purged only once older than fallbackRetentionMs after replacement (boundary)', async () => {
    const clk = clock();
    const options = { now: clk.now, fallbackRotationPeriodMs: 1000 * DAY, fallbackRetentionMs: DAY };
    const acct = await mx.olm.createAccount(options);
    const keys = [];
    for (let i = 0; i < 3; i++) {
      if (i) clk.advance(HOUR);
      await acct.generateFallbackKey();
      await acct.markKeysAsPublished();
      const k = current(await acct.fallbackKeyStatus());
      keys.push({ ...k, prekeys: await prekeysTo(acct, k.publicKey) });
    }
    // k0 replaced at T0+1h, k1 at T0+2h; k2 current.
    const held = async () => (await acct.fallbackKeyStatus()).map((s) => s.publicKey);
    assert.deepEqual(await held(), [keys[2].publicKey, keys[1].publicKey, keys[0].publicKey]);

    clk.t = T0 + HOUR + DAY; // k0 replaced exactly one window ago: kept
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);
    assert.deepEqual(await held(), [keys[2].publicKey, keys[1].publicKey, keys[0].publicKey], 'at replaced + retention: still kept');
    let probe = await copyOf(acct, options);
    for (const p of keys[0].prekeys) await assertDecrypts(probe, p, 'k0 at the boundary');

    clk.t = T0 + HOUR + DAY + 1; // one ms later: purged
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);
    assert.deepEqual(await held(), [keys[2].publicKey, keys[1].publicKey], 'one ms past the window: purged');
    probe = await copyOf(acct, options);
    for (const p of keys[0].prekeys) await assertUnknownKey(probe, p, 'k0 past the window');
    for (const p of keys[1].prekeys) await assertDecrypts(probe, p, 'k1');

    clk.t = T0 + 30 * DAY; // k1 is the most recently replaced: kept
    assert.equal(await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']), false);
    assert.deepEqual(await held(), [keys[2].publicKey, keys[1].publicKey]);
    for (const p of keys[2].prekeys) await assertDecrypts(probe, p, 'current key k2');
  });

  test('a libolm account imported with a clock: its fallback keys are dated by that clock, the previous one kept for the window', async () => {
    // libolm records no times; the import dates the keys "now" — which must
    // be the account's clock (options.now), like every other fallback time.
    const lib = new Olm.Account();
    lib.create();
    lib.generate_fallback_key();
    lib.mark_keys_as_published();
    lib.generate_fallback_key(); // current (unpublished) + previous (published)
    const libCurrent = Object.values(JSON.parse(lib.unpublished_fallback_key()).curve25519)[0];
    const bob = { identityKeys: JSON.parse(lib.identity_keys()) };
    const clk = clock();
    const options = { now: clk.now };
    const acct = await mx.olm.importLibolmAccount(lib.pickle('libolm key'), 'libolm key', options);
    const status = await acct.fallbackKeyStatus();
    assert.equal(status.length, 2);
    assert.equal(status[0].publicKey, libCurrent);
    const previous = status[1];
    assert.deepEqual(
      { created: status[0].created, published: status[0].published },
      { created: T0, published: null },
      'current key: created at import time (options.now), not published',
    );
    assert.deepEqual(
      { created: previous.created, published: previous.published, replaced: previous.replaced },
      { created: T0, published: T0, replaced: T0 },
      'previous key: dated at import time by options.now',
    );
    const toPrevious = await prekeysTo(bob, previous.publicKey);

    // 29 days later a new key comes; the libolm previous key is within the window.
    clk.advance(29 * DAY);
    await acct.markKeysAsPublished();
    await acct.generateFallbackKey();
    let probe = await copyOf(acct, options);
    for (const p of toPrevious) await assertDecrypts(probe, p, 'libolm previous key, 29 days after import');
    // 31 days after import it is past the window (and no longer the most recently replaced).
    clk.t = T0 + 31 * DAY;
    await acct.rotateFallbackKeyIfNeeded(['signed_curve25519']);
    probe = await copyOf(acct, options);
    for (const p of toPrevious) await assertUnknownKey(probe, p, 'libolm previous key, 31 days after import');
    lib.free();
  });

  test('an account holding more old fallback keys than libolm can is not exported to libolm', async () => {
    const acct = await mx.olm.createAccount();
    for (let i = 0; i < 3; i++) await acct.generateFallbackKey();
    assert.equal((await acct.fallbackKeyStatus()).length, 3);
    await rejectsWithCode(() => acct.exportLibolmPickle('k'), 'BAD_INPUT', 'export with 2 old fallback keys');
  });

  test('a pickled account keeps its clock-dependent state; settings come from the options at unpickle time', async () => {
    const clk = clock();
    const acct = await mx.olm.createAccount({ now: clk.now });
    await acct.generateFallbackKey();
    await acct.markKeysAsPublished();
    clk.advance(DAY);
    await acct.generateFallbackKey();
    const key = randomKey();
    const pickle = await acct.pickle(key);

    // Restored with a 1-hour retention, 2 days later: the only old key is the
    // most recently replaced one, so it stays.
    const clk2 = clock(clk.t + 2 * DAY);
    const restored = await mx.olm.unpickleAccount(pickle, key, { now: clk2.now, fallbackRetentionMs: HOUR });
    assert.deepEqual(await restored.fallbackKeyStatus(), await acct.fallbackKeyStatus());
    await restored.markKeysAsPublished();
    await restored.generateFallbackKey();
    const status = await restored.fallbackKeyStatus();
    assert.equal(status.length, 2, 'with a 1-hour retention, the key replaced 2 days ago is purged');
    assert.equal(status[1].replaced, clk2.t);
  });
});
