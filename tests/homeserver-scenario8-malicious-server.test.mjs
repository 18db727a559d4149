// Issue 13, scenario 8: a malicious homeserver, played by the fault proxy in
// front of Synapse, against our client (Alice). Each attack is refused with
// its code and nothing is shown as decrypted from the wrong sender:
//   - /keys/query changes the keys of Bob's known device (self-signed with a
//     new key) → deviceRefused DEVICE_KEYS_CHANGED, the old keys stay, no
//     room key goes to the forged key;
//   - a pre-key to-device event delivered again → a failure with its code,
//     no room key imported from it;
//   - a Rust-made room event re-sent with `sender` changed to Mallory →
//     MISMATCHED_SENDER, not decrypted.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { after, before, test } from 'node:test';

import { eventually, recordEvents, synapseFixture } from './helpers/synapse-fixture.mjs';
import { signingPayload } from './helpers/util.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const text = (body) => ({ msgtype: 'm.text', body });
const b64 = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '');

/** Device keys like `keys` but with new Curve25519/Ed25519 keys, validly self-signed by the new Ed25519 key. */
function forgedDeviceKeys(keys) {
  const seed = randomBytes(32);
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const ed = b64(Buffer.from(createPublicKey(priv).export({ format: 'jwk' }).x, 'base64url'));
  const curve = b64(randomBytes(32));
  const forged = structuredClone(keys);
  delete forged.signatures;
  delete forged.unsigned;
  forged.keys = { [`curve25519:${keys.device_id}`]: curve, [`ed25519:${keys.device_id}`]: ed };
  const sig = b64(sign(null, Buffer.from(signingPayload(forged)), priv));
  forged.signatures = { [keys.user_id]: { [`ed25519:${keys.device_id}`]: sig } };
  return { forged, curve, ed };
}

let alice;
let aliceSeen;
let bob;
let mallory;
let roomId;

test('setup: alice (ours), bob and mallory (Rust) share an encrypted room', { timeout: 120_000 }, async () => {
  alice = await fx.ours('alice');
  aliceSeen = recordEvents(alice);
  bob = await fx.rust('bob');
  mallory = await fx.rust('mallory');
  roomId = await alice.createEncryptedRoom({ invite: [bob.userId, mallory.userId] });
  for (const c of [bob, mallory]) {
    await c.syncUntil((x) => x.invites.has(roomId), { what: 'the invite' });
    await c.join(roomId);
  }
  await bob.sendMessage(roomId, text('hello from bob'));
  const got = await eventually(() => aliceSeen.find((e) => e.content?.body === 'hello from bob' && !e.error), { what: 'alice decrypting bob' });
  assert.equal(got.senderDevice?.deviceId, bob.deviceId);
  await mallory.sendMessage(roomId, text('hello from mallory'));
  await eventually(() => aliceSeen.find((e) => e.content?.body === 'hello from mallory' && !e.error), { what: 'alice decrypting mallory' });
});

test('changed device keys in /keys/query are refused (DEVICE_KEYS_CHANGED); no key goes to the forged device', { timeout: 120_000 }, async () => {
  const token = alice.accessToken;
  const [real] = (await alice.getUserDevices(bob.userId)).filter((d) => d.deviceId === bob.deviceId);
  assert.equal(real.keys.curve25519, bob.identityKeys.curve25519);
  let forgedCurve;
  const queryRule = fx.proxy.addRule({
    path: '/keys/query', token,
    alterResponse: (body) => {
      const dev = body.device_keys?.[bob.userId]?.[bob.deviceId];
      if (dev) {
        const { forged, curve } = forgedDeviceKeys(dev);
        forgedCurve = curve;
        body.device_keys[bob.userId][bob.deviceId] = forged;
      }
      return body;
    },
  });
  const refused = new Promise((resolve) => alice.on('deviceRefused', (e) => e.userId === bob.userId && resolve(e)));
  // The server says bob's devices changed, which makes alice query them again.
  const syncRule = fx.proxy.addRule({
    path: '/sync', token, times: 1,
    alterResponse: (body) => {
      body.device_lists = { changed: [...(body.device_lists?.changed ?? []), bob.userId], left: body.device_lists?.left ?? [] };
      return body;
    },
  });
  const ev = await Promise.race([refused, new Promise((_, rej) => setTimeout(() => rej(new Error('no deviceRefused event')), 30_000))]);
  assert.equal(ev.deviceId, bob.deviceId);
  assert.equal(ev.code, 'DEVICE_KEYS_CHANGED');
  assert.ok(forgedCurve, 'the forged answer was served');
  const [after] = (await alice.getUserDevices(bob.userId)).filter((d) => d.deviceId === bob.deviceId);
  assert.deepEqual(after.keys, real.keys, 'the device keeps its first keys');
  fx.proxy.removeRule(syncRule);

  // A new message still reaches the real bob, and no Olm message is made for the forged key.
  const since = Date.now();
  await alice.sendMessage(roomId, text('after the forged query'));
  await bob.waitForMessage(roomId, (e) => e.content.body === 'after the forged query');
  const toDevice = fx.proxy.log.filter((e) => e.at >= since && e.token === token && /\/sendToDevice\//.test(e.path));
  for (const e of toDevice) assert.ok(!JSON.stringify(e.requestBody).includes(forgedCurve), 'a to-device message was encrypted to the forged key');
  fx.proxy.removeRule(queryRule);
});

test('a replayed pre-key to-device event is refused with a code; nothing is imported from it', { timeout: 120_000 }, async () => {
  const token = alice.accessToken;
  const aliceCurve = alice.identityKeys.curve25519;
  // The first Olm message bob sent alice (it carried his room key) was a pre-key message.
  const delivered = fx.proxy.log
    .filter((e) => e.token === token && e.path.endsWith('/sync'))
    .flatMap((e) => e.responseBody?.to_device?.events ?? [])
    .find((t) => t.type === 'm.room.encrypted' && t.sender === bob.userId && t.content?.ciphertext?.[aliceCurve]?.type === 0);
  assert.ok(delivered, 'alice received a pre-key message from bob');

  const failures = [];
  const imported = [];
  alice.on('toDevice', (t) => { if (t.failure) failures.push(t); });
  alice.on('roomKeyReceived', (e) => imported.push(e));
  const marker = `replay-${Date.now()}`;
  const replay = { ...structuredClone(delivered), [marker]: true };
  fx.proxy.addRule({
    path: '/sync', token, times: 1,
    alterResponse: (body) => {
      body.to_device = { events: [...(body.to_device?.events ?? []), replay] };
      return body;
    },
  });
  const failure = await eventually(() => failures.find((f) => f.event?.[marker]), { what: 'the replay refused' });
  assert.ok(['UNKNOWN_MESSAGE_INDEX', 'REPLAYED_MESSAGE', 'UNKNOWN_ONE_TIME_KEY', 'BAD_MESSAGE'].includes(failure.code), `code ${failure.code}`);
  assert.equal(imported.length, 0, 'no room key came out of the replay');
});

test('an event re-sent with a forged sender is MISMATCHED_SENDER and not shown as decrypted', { timeout: 120_000 }, async () => {
  const token = alice.accessToken;
  const body = `forged-${Date.now()}`;
  let forgedId;
  const rule = fx.proxy.addRule({
    path: '/sync', token,
    alterResponse: (sync) => {
      for (const ev of sync.rooms?.join?.[roomId]?.timeline?.events ?? []) {
        if (ev.type === 'm.room.encrypted' && ev.sender === bob.userId && !forgedId) {
          forgedId = ev.event_id;
          ev.sender = mallory.userId;
        }
      }
      return sync;
    },
    times: 20,
  });
  // Once one /sync of alice's went through the rule, none is in flight unaltered.
  await eventually(() => rule.hits > 0, { what: 'alice\'s next /sync' });
  await bob.sendMessage(roomId, text(body));
  const forged = await eventually(() => forgedId && aliceSeen.find((e) => e.eventId === forgedId), { what: 'the forged event at alice' });
  assert.equal(forged.sender, mallory.userId);
  assert.equal(forged.error?.code, 'MISMATCHED_SENDER');
  assert.equal(forged.type, 'm.room.encrypted');
  assert.ok(!JSON.stringify(forged.content).includes(body), 'the plaintext was not shown');
  assert.ok(!aliceSeen.some((e) => !e.error && e.content?.body === body), 'nothing decrypted from the wrong sender');
  // Bob's own view: the event is fine (the forgery was only in alice's /sync).
  await bob.waitForMessage(roomId, (e) => e.content.body === body);
});
