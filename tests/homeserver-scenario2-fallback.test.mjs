// Issue 13, scenario 2: one-time keys run out. With Alice's /keys/upload
// blocked (held by the proxy), a third account claims all her one-time keys;
// Bob (ours) and Charlie (Rust) then start Olm sessions with her fallback
// key, and both work. Once uploads resume the fallback key is replaced (a
// new claim returns a different key); a late pre-key message made from the
// old key (a claim answer the proxy replays) still decrypts inside the
// retention window and is refused after it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { matrixRequest } from './helpers/rust-client.mjs';
import { eventually, recordEvents, synapseFixture } from './helpers/synapse-fixture.mjs';

const RETENTION_MS = 15_000;

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const text = (body) => ({ msgtype: 'm.text', body });
const decrypted = (events, body) => events.find((e) => !e.error && e.content?.body === body);

/** Claims alice's keys as `drainer` until the answer is her fallback key; returns [keyId, keyObject] of it. */
async function drain(drainer, alice) {
  for (let i = 0; i < 200; i++) {
    const r = await matrixRequest(fx.proxy.baseUrl, drainer.accessToken, 'POST', '/_matrix/client/v3/keys/claim', { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
    const [entry] = Object.entries(r.one_time_keys?.[alice.userId]?.[alice.deviceId] ?? {});
    assert.ok(entry, 'alice has a key to claim');
    if (entry[1].fallback === true) return entry;
  }
  throw new Error('never reached the fallback key');
}

/** Blocks alice's uploads: they are held at the proxy until the returned release() is called. */
function blockUploads(alice) {
  let release;
  const rule = fx.proxy.addRule({ path: '/keys/upload', token: alice.accessToken, hold: new Promise((r) => { release = r; }) });
  return () => { fx.proxy.removeRule(rule); release(); };
}

test('scenario 2: fallback key sessions while uploads are blocked; replaced after; retention honoured', { timeout: 300_000 }, async () => {
  const alice = await fx.ours('alice', { fallbackRetentionMs: RETENTION_MS });
  const aliceSeen = recordEvents(alice);
  const aliceFailures = [];
  alice.on('toDevice', (t) => { if (t.failure) aliceFailures.push(t); });
  const bob = await fx.ours('bob');
  const charlie = await fx.rust('charlie');
  const drainer = await fx.login('drainer');

  const roomId = await alice.createEncryptedRoom({ invite: [bob.userId, charlie.userId] });
  await bob.join(roomId);
  await charlie.syncUntil((c) => c.invites.has(roomId), { what: 'charlie\'s invite' });
  await charlie.join(roomId);

  // Two late senders, ready before anything happens: their first /keys/claim
  // will get the answer charlie gets for alice's first fallback key (replayed).
  const dave = await fx.rust('dave');
  const erin = await fx.rust('erin');
  for (const c of [dave, erin]) {
    await c.sync();
    await alice.invite(roomId, c.userId);
    await c.syncUntil((x) => x.invites.has(roomId), { what: `${c.userId}'s invite` });
    await c.join(roomId);
  }

  // Uploads blocked, every one-time key claimed: only the fallback key is left.
  const blockedAt = Date.now();
  let unblock = blockUploads(alice);
  const [f1Id, f1] = await drain(drainer, alice);

  await bob.sendMessage(roomId, text('bob over the fallback key'));
  await charlie.sendMessage(roomId, text('charlie over the fallback key'));
  const claimsOf = (client) => fx.proxy.requests('/keys/claim').filter((e) => e.token === client.accessToken && e.responseBody?.one_time_keys?.[alice.userId]);
  for (const c of [bob, charlie]) {
    const got = claimsOf(c).at(-1).responseBody.one_time_keys[alice.userId][alice.deviceId];
    assert.deepEqual(Object.keys(got), [f1Id], `${c.userId} got alice's fallback key`);
    assert.equal(got[f1Id].fallback, true);
  }
  const charlieClaim = claimsOf(charlie).at(-1).responseBody;
  for (const c of [dave, erin]) fx.proxy.addRule({ path: '/keys/claim', token: c.accessToken, times: 1, alterResponse: () => structuredClone(charlieClaim) });
  await eventually(() => decrypted(aliceSeen, 'bob over the fallback key') && decrypted(aliceSeen, 'charlie over the fallback key'), { what: 'alice decrypting both fallback-key sessions' });
  assert.equal(fx.proxy.requests('/keys/upload').filter((e) => e.token === alice.accessToken && e.at >= blockedAt).length, 0, 'no upload got through while blocked');

  // Uploads resume: alice replaces the used fallback key.
  // No upload succeeded while blocked (checked above), so any accepted one
  // since blockedAt came after this; one held while blocked and sent on
  // unblock counts too (it may already carry the new fallback key).
  const resumedAt = Date.now();
  unblock();
  const newFallback = await eventually(() => fx.proxy.requests('/keys/upload')
    .filter((e) => e.token === alice.accessToken && e.status === 200 && e.at >= blockedAt)
    .map((e) => Object.entries(e.requestBody.fallback_keys ?? {})[0])
    .find((entry) => entry && entry[1].key !== f1.key), { what: 'a new fallback key uploaded' });
  assert.notEqual(newFallback[0], f1Id, 'the new fallback key has a new id');

  // A late pre-key message to the old key, inside the retention window: decrypts.
  await dave.sendMessage(roomId, text('dave late, inside the window'));
  assert.deepEqual(Object.keys(claimsOf(dave).at(-1).responseBody.one_time_keys[alice.userId][alice.deviceId]), [f1Id], 'dave used the old key');
  await eventually(() => decrypted(aliceSeen, 'dave late, inside the window'), { what: 'alice decrypting dave' });
  assert.ok(Date.now() - resumedAt < RETENTION_MS, `dave's message must arrive inside the window (took ${Date.now() - resumedAt} ms)`);

  // A new claim, once the one-time keys are gone again, returns the new fallback key.
  unblock = blockUploads(alice);
  const [f2Id, f2] = await drain(drainer, alice);
  assert.notEqual(f2.key, f1.key, 'a new claim returns a different fallback key');
  assert.equal(f2Id, newFallback[0]);

  // Uploads resume again (the second fallback key gets replaced too); once
  // the retention window of the first has passed, a pre-key message to it is refused.
  unblock();
  await eventually(() => fx.proxy.requests('/keys/upload').some((e) => e.token === alice.accessToken && e.status === 200
    && Object.values(e.requestBody.fallback_keys ?? {}).some((k) => k.key !== f1.key && k.key !== f2.key)), { what: 'a third fallback key' });
  const wait = resumedAt + RETENTION_MS + 2000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await alice.nextSync();
  await erin.sendMessage(roomId, text('erin late, after the window'));
  assert.deepEqual(Object.keys(claimsOf(erin).at(-1).responseBody.one_time_keys[alice.userId][alice.deviceId]), [f1Id], 'erin used the old key');
  const refused = await eventually(() => aliceFailures.find((f) => f.event?.sender === erin.userId), { what: 'alice refusing erin\'s pre-key message' });
  assert.equal(refused.code, 'UNKNOWN_ONE_TIME_KEY');
  const erinEvent = await eventually(() => aliceSeen.find((e) => e.sender === erin.userId && e.encrypted), { what: 'erin\'s message at alice' });
  assert.ok(erinEvent.error, 'erin\'s message is not decrypted');
  assert.equal(decrypted(aliceSeen, 'erin late, after the window'), undefined);
});
