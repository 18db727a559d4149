// Issue 13, scenario 3: /keys/upload fails twice with 504. Our client retries
// the same body, the keys get published, and no key id is ever sent with two
// different keys (checked over every upload body the proxy saw, and against
// what Synapse hands out in /keys/claim).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { eventually, synapseFixture } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

/** keyId → public key over all upload bodies; throws if one id carried two keys. */
function keyIdsOf(bodies) {
  const seen = new Map();
  for (const b of bodies) {
    for (const field of ['one_time_keys', 'fallback_keys']) {
      for (const [id, v] of Object.entries(b?.[field] ?? {})) {
        const key = typeof v === 'string' ? v : v.key;
        if (seen.has(id)) assert.equal(seen.get(id), key, `key id ${id} was uploaded with two different keys`);
        seen.set(id, key);
      }
    }
  }
  return seen;
}

test('scenario 3: /keys/upload 504 twice → retried, published, no key id reused', { timeout: 120_000 }, async () => {
  const login = await fx.login('alice');
  const rule = fx.proxy.addRule({ path: '/keys/upload', token: login.accessToken, times: 2, respond: { status: 504 } });
  const alice = await fx.ours(login, { start: false });
  assert.equal(rule.hits, 2, 'both failures were served');

  const uploads = fx.proxy.requests('/keys/upload').filter((e) => e.token === login.accessToken);
  assert.deepEqual(uploads.slice(0, 3).map((e) => e.status), [504, 504, 200]);
  // The retries carried the very same body: same ids, same keys, same signatures.
  assert.deepEqual(uploads[1].requestBody, uploads[0].requestBody);
  assert.deepEqual(uploads[2].requestBody, uploads[0].requestBody);
  const first = uploads[0].requestBody;
  assert.equal(first.device_keys.device_id, alice.deviceId);
  assert.ok(Object.keys(first.one_time_keys ?? {}).length > 0, 'one-time keys were in the upload');
  const counts = uploads[2].responseBody.one_time_key_counts;
  assert.equal(counts.signed_curve25519, Object.keys(first.one_time_keys).length, 'Synapse holds exactly the uploaded keys');

  // Published: another user sees the device and claims one of those keys.
  const bob = await fx.login('bob');
  const q = await fetch(`${fx.proxy.baseUrl}/_matrix/client/v3/keys/query`, {
    method: 'POST', headers: { authorization: `Bearer ${bob.accessToken}` }, body: JSON.stringify({ device_keys: { [alice.userId]: [] } }),
  }).then((r) => r.json());
  assert.deepEqual(q.device_keys[alice.userId][alice.deviceId].keys, first.device_keys.keys);
  // Claim most of them: each is one we uploaded under that id.
  const n = Math.ceil(Object.keys(first.one_time_keys).length * 0.8);
  for (let i = 0; i < n; i++) {
    const claim = await fetch(`${fx.proxy.baseUrl}/_matrix/client/v3/keys/claim`, {
      method: 'POST', headers: { authorization: `Bearer ${bob.accessToken}` }, body: JSON.stringify({ one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } }),
    }).then((r) => r.json());
    const [[claimedId, claimed]] = Object.entries(claim.one_time_keys[alice.userId][alice.deviceId]);
    assert.equal(claimed.key, first.one_time_keys[claimedId]?.key, `claimed ${claimedId}: a key we uploaded under that id`);
  }

  // Syncing makes the client top up; every later upload uses fresh ids.
  await eventually(async () => {
    await alice.sync();
    return fx.proxy.requests('/keys/upload').filter((e) => e.token === login.accessToken && e.status === 200).length >= 2;
  }, { what: 'a top-up upload after the claim' });
  const all = fx.proxy.requests('/keys/upload').filter((e) => e.token === login.accessToken).map((e) => e.requestBody);
  const ids = keyIdsOf(all);
  const later = all.slice(3).flatMap((b) => Object.keys(b.one_time_keys ?? {}));
  for (const id of later) assert.ok(!(id in first.one_time_keys), `the top-up reused key id ${id}`);
  assert.ok(ids.size > Object.keys(first.one_time_keys).length);
  fx.proxy.removeRule(rule);
});
