// Issue 13, scenario 1: two users, three devices, an encrypted room on a real
// Synapse. Alice is our client (mx.connect); Bob has a matrix-sdk-crypto-wasm
// device and later logs in on one of ours. Messages go both ways between our
// clients and the Rust client; the device that joins later decrypts the new
// messages and not the older ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { eventually, recordEvents, synapseFixture } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const text = (body) => ({ msgtype: 'm.text', body });
const decrypted = (events, body) => events.find((e) => !e.error && e.content?.body === body);

test('scenario 1: ours and Rust chat both ways; a later device reads new messages only', { timeout: 240_000 }, async () => {
  const alice = await fx.ours('alice');
  const aliceSeen = recordEvents(alice);
  const bobRust = await fx.rust('bob');
  await bobRust.sync();

  const roomId = await alice.createEncryptedRoom({ invite: [bobRust.userId] });
  await bobRust.syncUntil((c) => c.invites.has(roomId), { what: 'the invite' });
  await bobRust.join(roomId);

  // Ours → Rust.
  await alice.sendMessage(roomId, text('a1 before the new device'));
  const a1 = await bobRust.waitForMessage(roomId, (e) => e.content.body === 'a1 before the new device');
  assert.equal(a1.sender, alice.userId);
  assert.equal(bobRust.timeline.find((t) => t.clear === a1).senderCurve25519Key, alice.identityKeys.curve25519);

  // Rust → ours: decrypted, and attributed to Bob's Rust device.
  await bobRust.sendMessage(roomId, text('b1 before the new device'));
  const b1 = await eventually(() => decrypted(aliceSeen, 'b1 before the new device'), { what: 'alice decrypting b1' });
  assert.equal(b1.sender, bobRust.userId);
  assert.equal(b1.senderDevice?.deviceId, bobRust.deviceId);
  assert.equal(b1.senderDevice?.keys.curve25519, bobRust.identityKeys.curve25519);

  // Bob's second device (ours) logs in later.
  const bob2 = await fx.ours('bob');
  const bob2Seen = recordEvents(bob2);
  await bob2.sync();
  assert.notEqual(bob2.deviceId, bobRust.deviceId);
  // Both senders learn about the new device before sending again.
  await eventually(async () => (await alice.getUserDevices(bobRust.userId)).some((d) => d.deviceId === bob2.deviceId), { what: 'alice seeing bob\'s new device' });
  await bobRust.syncUntil(async (c) => (await c.machine.getUserDevices(new c.sdk.UserId(c.userId))).get(new c.sdk.DeviceId(bob2.deviceId)), { what: 'bob\'s rust device seeing the new device' });

  await alice.sendMessage(roomId, text('a2 after the new device'));
  await bobRust.sendMessage(roomId, text('b2 after the new device'));
  await eventually(() => decrypted(bob2Seen, 'a2 after the new device') && decrypted(bob2Seen, 'b2 after the new device'), { what: 'the new device decrypting the new messages' });
  assert.equal(decrypted(bob2Seen, 'a2 after the new device').senderDevice?.deviceId, alice.deviceId);
  assert.equal(decrypted(bob2Seen, 'b2 after the new device').senderDevice?.deviceId, bobRust.deviceId);

  // Ours → ours both ways, and the Rust device reads the new device's message.
  await bob2.sendMessage(roomId, text('from bob2'));
  await eventually(() => decrypted(aliceSeen, 'from bob2'), { what: 'alice decrypting bob2' });
  await bobRust.waitForMessage(roomId, (e) => e.content.body === 'from bob2');
  await alice.sendMessage(roomId, text('a3'));
  await eventually(() => decrypted(bob2Seen, 'a3'), { what: 'bob2 decrypting a3' });

  // The older messages reached the new device (history is shared) but stay undecryptable.
  for (const body of ['a1 before the new device', 'b1 before the new device']) {
    assert.equal(decrypted(bob2Seen, body), undefined, `${body} must not decrypt on the later device`);
  }
  const olderOnNewDevice = bob2Seen.filter((e) => e.error);
  assert.ok(olderOnNewDevice.length >= 2, 'the older events came with an error');
  for (const e of olderOnNewDevice) assert.ok(['UNKNOWN_SESSION', 'UNKNOWN_MESSAGE_INDEX'].includes(e.error.code), e.error.code);
});
