// Issue 13, scenario 6: restarting our client does not rotate the room key
// (the outbound session is in the store); a member leaving does. Checked on
// the wire (the session_id of each m.room.encrypted event the proxy saw) and
// by who can decrypt what.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { eventually, recordEvents, synapseFixture } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const text = (body) => ({ msgtype: 'm.text', body });

test('scenario 6: a restart keeps the room key; a member leaving rotates it', { timeout: 180_000 }, async () => {
  const aliceLogin = await fx.login('alice');
  const store = { store: `alice-${process.pid}`, storeKey: new Uint8Array(randomBytes(32)) };
  let alice = await fx.ours(aliceLogin, store);
  const bob = await fx.rust('bob');
  const carol = await fx.ours('carol');
  const carolSeen = recordEvents(carol);
  await bob.sync();

  const roomId = await alice.createEncryptedRoom({ invite: [bob.userId, carol.userId] });
  await bob.syncUntil((c) => c.invites.has(roomId), { what: 'bob\'s invite' });
  await bob.join(roomId);
  await carol.join(roomId);

  const sessionOf = async (eventId) => {
    const e = await eventually(() => fx.proxy.log.find((x) => x.responseBody?.event_id === eventId && /\/send\/m\.room\.encrypted\//.test(x.path)), { what: `the send of ${eventId}` });
    return e.requestBody.session_id;
  };

  const m1 = await alice.sendMessage(roomId, text('m1'));
  await bob.waitForMessage(roomId, (e) => e.content.body === 'm1');
  await eventually(() => carolSeen.find((e) => e.content?.body === 'm1' && !e.error), { what: 'carol decrypting m1' });

  // Restart: close and reconnect on the same store and device.
  await alice.close();
  alice = await fx.ours(aliceLogin, store);
  const m2 = await alice.sendMessage(roomId, text('m2 after restart'));
  assert.equal(await sessionOf(m2), await sessionOf(m1), 'a restart must not rotate the room key');
  await bob.waitForMessage(roomId, (e) => e.content.body === 'm2 after restart');
  await eventually(() => carolSeen.find((e) => e.content?.body === 'm2 after restart' && !e.error), { what: 'carol decrypting m2' });
  // No new room key went out for m2.
  const roomKeySendsAfterRestart = fx.proxy.log.filter((x) => x.token === aliceLogin.accessToken && /\/sendToDevice\//.test(x.path) && x.at > fx.proxy.log.find((y) => y.responseBody?.event_id === m1).at);
  assert.equal(roomKeySendsAfterRestart.length, 0, 'no room key was sent again after the restart');

  // Carol leaves: the next message uses a new session, Bob still reads it, Carol never gets its key.
  await carol.leave(roomId);
  await eventually(async () => !(await alice.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`)).joined[carol.userId], { what: 'carol gone' });
  await eventually(() => !alice.rooms.get(roomId)?.members.includes(carol.userId), { what: 'alice seeing carol leave in /sync' });
  const m3 = await alice.sendMessage(roomId, text('m3 after carol left'));
  assert.notEqual(await sessionOf(m3), await sessionOf(m1), 'a member leaving must rotate the room key');
  await bob.waitForMessage(roomId, (e) => e.content.body === 'm3 after carol left');
  const keysToCarol = fx.proxy.log.filter((x) => x.token === aliceLogin.accessToken && /\/sendToDevice\//.test(x.path) && x.requestBody?.messages?.[carol.userId]);
  const lastToCarol = keysToCarol.at(-1);
  assert.ok(!lastToCarol || lastToCarol.at < fx.proxy.log.find((y) => y.responseBody?.event_id === m2)?.at, 'nothing was sent to carol after she left');
});
