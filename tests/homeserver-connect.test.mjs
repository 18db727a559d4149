// mx.connect as a bot uses it, on a real Synapse: password login (reusing
// the device and its store), invites through on('invite'), room events
// through the async iterator, the README's echo bot answering a Rust
// client, a /sync loop that rides out 5xx and 429 (retry_after_ms), and
// close() ending everything.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { eventually, recordEvents, synapseFixture, TEST_RETRY } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

test('the README echo bot: password login, invite → join, events iterator, encrypted replies to a Rust client', { timeout: 180_000 }, async () => {
  const reg = await fx.hs.registerUser('echo-bot');
  const storeKey = new Uint8Array(randomBytes(32));
  const connect = (extra = {}) => fx.mx.connect({
    homeserverUrl: fx.proxy.baseUrl, user: 'echo-bot', password: reg.password, deviceId: 'ECHOBOT',
    store: `echo-${process.pid}`, backend: 'memory', storeKey, syncTimeoutMs: 2000, retry: TEST_RETRY, ...extra,
  });
  const client = await connect();
  assert.equal(client.userId, reg.userId);
  assert.equal(client.deviceId, 'ECHOBOT');
  client.on('invite', ({ roomId }) => client.join(roomId));
  const bot = (async () => {
    for await (const ev of client.events()) {
      if (ev.sender === client.userId) continue;
      if (ev.error) continue;
      if (ev.type === 'm.room.message') await client.sendMessage(ev.roomId, { msgtype: 'm.notice', body: `echo: ${ev.content.body}` });
    }
    return 'ended';
  })();

  const carol = await fx.rust('carol');
  const roomId = await carol.createEncryptedRoom({ invite: [client.userId] });
  await eventually(async () => (await carol.members(roomId)).includes(client.userId) && (await carol.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`)).joined[client.userId], { what: 'the bot joining' });
  await carol.sendMessage(roomId, { msgtype: 'm.text', body: 'ping' });
  const echo = await carol.waitForMessage(roomId, (e) => e.content.body === 'echo: ping');
  assert.equal(echo.sender, client.userId);
  assert.equal(echo.content.msgtype, 'm.notice');
  assert.ok(client.rooms.get(roomId)?.encrypted);
  // The reply went encrypted.
  assert.ok(fx.proxy.log.some((e) => e.token === client.accessToken && /\/send\/m\.room\.encrypted\//.test(e.path)));
  assert.ok(!fx.proxy.log.some((e) => e.token === client.accessToken && /\/send\/m\.room\.message\//.test(e.path)));

  await client.close();
  assert.equal(await bot, 'ended', 'close() ends the iterator');
  await assert.rejects(client.sendMessage(roomId, { body: 'x' }), (e) => e.code === 'CLOSED');

  // A password login with the same device id and store is the same device: same keys, the room key is not re-sent.
  const again = await connect();
  assert.equal(again.deviceId, 'ECHOBOT');
  assert.deepEqual(again.identityKeys, client.identityKeys);
  const seen = recordEvents(again);
  await carol.sendMessage(roomId, { msgtype: 'm.text', body: 'after the restart' });
  await eventually(() => seen.find((e) => !e.error && e.content?.body === 'after the restart'), { what: 'the restarted bot decrypting' });
  await again.close();
});

test('the /sync loop rides out 502s and a 429 with retry_after_ms', { timeout: 120_000 }, async () => {
  const alice = await fx.ours('alice-loop');
  const seen = recordEvents(alice);
  const retries = [];
  const errors = [];
  alice.on('retry', (r) => retries.push(r));
  alice.on('error', (e) => errors.push(e));
  await alice.nextSync();
  const bad = fx.proxy.addRule({ path: '/sync', token: alice.accessToken, times: 3, respond: { status: 502 } });
  const limited = fx.proxy.addRule({ path: '/sync', token: alice.accessToken, times: 1, respond: { status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'slow', retry_after_ms: 300 } } });
  const roomId = await alice.createEncryptedRoom();
  await alice.sendMessage(roomId, { msgtype: 'm.text', body: 'through the faults' });
  await eventually(() => seen.find((e) => !e.error && e.content?.body === 'through the faults'), { what: 'the loop to deliver after the faults' });
  assert.equal(bad.hits, 3);
  assert.equal(limited.hits, 1);
  assert.deepEqual(retries.filter((r) => r.path.startsWith('/_matrix/client/v3/sync')).map((r) => r.status), [502, 502, 502, 429]);
  assert.equal(retries.find((r) => r.status === 429).delayMs, 300);
  assert.equal(errors.length, 0, 'retried faults are not errors');
});

test('connect refuses bad options with BAD_INPUT and a wrong password with HOMESERVER_ERROR', { timeout: 60_000 }, async () => {
  await assert.rejects(fx.mx.connect(null), (e) => e.code === 'BAD_INPUT');
  await assert.rejects(fx.mx.connect({ homeserverUrl: 'ftp://x', store: 's', storeKey: new Uint8Array(32) }), (e) => e.code === 'BAD_INPUT');
  await assert.rejects(fx.mx.connect({ homeserverUrl: fx.proxy.baseUrl, store: '', storeKey: new Uint8Array(32) }), (e) => e.code === 'BAD_INPUT');
  await assert.rejects(fx.mx.connect({ homeserverUrl: fx.proxy.baseUrl, store: 's', storeKey: new Uint8Array(32) }), (e) => e.code === 'BAD_INPUT');
  await fx.hs.registerUser('dora');
  await assert.rejects(
    fx.mx.connect({ homeserverUrl: fx.proxy.baseUrl, user: 'dora', password: 'wrong', store: 's', backend: 'memory', storeKey: new Uint8Array(32), retry: TEST_RETRY }),
    (e) => e.code === 'HOMESERVER_ERROR' && e.status === 403 && e.errcode === 'M_FORBIDDEN',
  );
});
