// End to end with the whole client behind the Worker: mx.connect clients use
// the Worker's URL as their homeserver (the only change a client makes), so
// /sync, sending and key sharing are proxied to Synapse while the machine's
// background backup uploads land in the Worker's D1, and a new login restores
// every room key from it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { VERSION, call, startStack } from './helpers/backup-worker.mjs';

let stack;
const clients = [];
before(async () => { stack = await startStack(); }, { timeout: 180000 });
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await stack?.stop();
});

async function connect(name, password, extra = {}) {
  const c = await stack.mx.connect({ homeserverUrl: stack.url, user: name, password, store: `wc-${name}-${clients.length}`, backend: 'memory', storeKey: randomBytes(32), syncTimeoutMs: 1000, ...extra });
  clients.push(c);
  return c;
}

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('mx.connect through the Worker: chat, background backup uploads to D1, restore on a new login', { timeout: 300000 }, async () => {
  const aliceAccount = await stack.hs.registerUser('walice');
  const bobAccount = await stack.hs.registerUser('wbob');
  const alice = await connect('walice', aliceAccount.password);
  const bob = await connect('wbob', bobAccount.password);
  const bobSeen = [];
  bob.on('event', (e) => bobSeen.push(e));
  const invited = new Promise((resolve) => bob.on('invite', resolve));

  const backup = await alice.backup.enable();
  const roomId = await alice.createEncryptedRoom({ invite: [bob.userId] });
  await invited;
  await bob.join(roomId);
  const bodies = [];
  for (let i = 0; i < 3; i++) {
    bodies.push(`secret ${i}`);
    await alice.sendMessage(roomId, { msgtype: 'm.text', body: `secret ${i}` });
  }
  await until('bob decrypting', () => bodies.every((b) => bobSeen.some((e) => !e.error && e.content.body === b)));

  // The machine uploads in the background; flush makes it now.
  await until('the room key in the Worker\'s backup', async () => {
    await alice.backup.flush();
    const r = await call(stack.url, alice.accessToken, 'GET', VERSION);
    return r.json?.count >= 1;
  });
  const info = (await call(stack.url, alice.accessToken, 'GET', VERSION)).json;
  assert.equal(info.version, backup.version);
  // Served by the Worker from D1, not by Synapse: Synapse has no backup.
  const direct = await call(stack.hs.baseUrl, alice.accessToken, 'GET', VERSION);
  assert.equal(direct.status, 404);
  assert.equal(direct.json.errcode, 'M_NOT_FOUND');

  // A new login restores through the Worker.
  const again = await connect('walice', aliceAccount.password, { start: false });
  const restored = await again.backup.restore(backup.recoveryKey);
  assert.equal(restored.version, backup.version);
  assert.equal(restored.total, info.count);
  assert.equal(restored.imported, info.count);
  assert.deepEqual(restored.failures, {});
  const onServer = (await call(stack.url, alice.accessToken, 'GET', `/_matrix/client/v3/room_keys/keys?version=${backup.version}`)).json;
  const sessions = Object.keys(onServer.rooms[roomId].sessions);
  assert.ok(sessions.length >= 1);
});
