// The test peer itself, proven on a real Synapse before it judges our client:
// two matrix-sdk-crypto-wasm OlmMachines, each driven over HTTP by
// tests/helpers/rust-client.mjs, chat both ways in an encrypted room, with
// the traffic going through the fault proxy (no faults set).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startHomeserver } from '../scripts/homeserver.mjs';
import { startFaultProxy } from './helpers/fault-proxy.mjs';
import { RustClient } from './helpers/rust-client.mjs';

let hs;
let proxy;
before(async () => {
  hs = await startHomeserver();
  proxy = await startFaultProxy(hs.baseUrl);
}, { timeout: 180_000 });
after(async () => {
  await proxy?.stop();
  await hs?.stop();
});

test('two Rust clients chat in an encrypted room on Synapse', { timeout: 120_000 }, async () => {
  const alice = await RustClient.create(proxy.baseUrl, await hs.registerUser('alice'));
  const bob = await RustClient.create(proxy.baseUrl, await hs.registerUser('bob'));
  await alice.sync();
  await bob.sync();

  const roomId = await alice.createEncryptedRoom({ invite: [bob.userId] });
  await bob.syncUntil((c) => c.invites.has(roomId), { what: 'the invite' });
  await bob.join(roomId);

  await alice.sendMessage(roomId, { msgtype: 'm.text', body: 'hello from alice' });
  const got = await bob.waitForMessage(roomId, (e) => e.content.body === 'hello from alice');
  assert.equal(got.sender, alice.userId);
  const item = bob.timeline.find((t) => t.clear === got);
  assert.equal(item.senderCurve25519Key, alice.identityKeys.curve25519, 'the room key came from alice\'s device');

  await bob.sendMessage(roomId, { msgtype: 'm.text', body: 'hello from bob' });
  const back = await alice.waitForMessage(roomId, (e) => e.content.body === 'hello from bob');
  assert.equal(back.sender, bob.userId);

  // The traffic really went through the proxy: keys were uploaded, queried, claimed, sent to-device.
  for (const p of ['/keys/upload', '/keys/query', '/keys/claim']) assert.ok(proxy.requests(p).length > 0, `${p} went through the proxy`);
  assert.ok(proxy.requests(/\/sendToDevice\/m\.room\.encrypted\//).length >= 2, 'room keys went as encrypted to-device messages');
  // On the wire the message is ciphertext.
  const sent = proxy.requests(/\/send\/m\.room\.encrypted\//);
  assert.ok(sent.length >= 2);
  for (const s of sent) assert.equal(s.requestBody.algorithm, 'm.megolm.v1.aes-sha2');
  assert.ok(!JSON.stringify(sent.map((s) => s.requestBody)).includes('hello from'), 'no plaintext on the wire');
  alice.close();
  bob.close();
});
