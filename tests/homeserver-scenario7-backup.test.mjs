// Issue 13, scenario 7: key backup on a real Synapse. Alice's first device
// (ours) enables backup (version on the server, key in secret storage:
// m.secret_storage.* and m.megolm_backup.v1 account data) and backs up the
// room keys it has; new logins restore with the recovery key and with the
// passphrase; a room key missing at decryption time is fetched from the
// backup on demand; the backup key travels between Alice's own devices by
// m.secret.request / m.secret.send.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { eventually, recordEvents, synapseFixture } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const PASSPHRASE = 'correct horse battery staple';
const text = (body) => ({ msgtype: 'm.text', body });
const decrypted = (events, body) => events.find((e) => !e.error && e.content?.body === body);
const enc = encodeURIComponent;

let alice1;
let alice1Seen;
let bob;
let roomId;
let backupInfo;

/** The session ids alice1 has uploaded to the backup (from the proxy's log). */
function backedUpSessions() {
  return new Set(fx.proxy.requests('/room_keys/keys', 'PUT')
    .filter((e) => e.token === alice1.accessToken && e.status === 200)
    .flatMap((e) => Object.values(e.requestBody.rooms ?? {}).flatMap((r) => Object.keys(r.sessions ?? {}))));
}

/** The Megolm session id of the encrypted event a client sent with this body's event id. */
function sessionOfSend(eventId) {
  return fx.proxy.log.find((x) => x.responseBody?.event_id === eventId && /\/send\/m\.room\.encrypted\//.test(x.path)).requestBody.session_id;
}

test('a device backs up its room keys to Synapse', { timeout: 120_000 }, async () => {
  alice1 = await fx.ours('alice');
  alice1Seen = recordEvents(alice1);
  bob = await fx.rust('bob');
  roomId = await alice1.createEncryptedRoom({ invite: [bob.userId] });
  await bob.syncUntil((c) => c.invites.has(roomId), { what: 'the invite' });
  await bob.join(roomId);

  backupInfo = await alice1.backup.enable({ passphrase: PASSPHRASE });
  assert.match(backupInfo.version, /^\d+$/);
  // Secret storage on the server, in the spec's shapes.
  const defaultKey = await alice1.request('GET', `/_matrix/client/v3/user/${enc(alice1.userId)}/account_data/m.secret_storage.default_key`);
  assert.equal(defaultKey.key, backupInfo.keyId);
  const keyInfo = await alice1.request('GET', `/_matrix/client/v3/user/${enc(alice1.userId)}/account_data/m.secret_storage.key.${backupInfo.keyId}`);
  assert.equal(keyInfo.algorithm, 'm.secret_storage.v1.aes-hmac-sha2');
  assert.equal(keyInfo.passphrase.algorithm, 'm.pbkdf2');
  const secret = await alice1.request('GET', `/_matrix/client/v3/user/${enc(alice1.userId)}/account_data/m.megolm_backup.v1`);
  assert.ok(secret.encrypted[backupInfo.keyId].ciphertext);
  const version = await alice1.request('GET', '/_matrix/client/v3/room_keys/version');
  assert.equal(version.version, backupInfo.version);
  assert.equal(version.algorithm, 'm.megolm_backup.v1.curve25519-aes-sha2');
  assert.ok(version.auth_data.signatures[alice1.userId][`ed25519:${alice1.deviceId}`], 'auth_data signed by the device');

  const m1 = await alice1.sendMessage(roomId, text('m1 from alice'));
  await bob.sendMessage(roomId, text('b1 from bob'));
  await eventually(() => decrypted(alice1Seen, 'b1 from bob'), { what: 'alice1 decrypting b1' });
  await bob.waitForMessage(roomId, (e) => e.content.body === 'm1 from alice');
  const bobSession = bob.timeline.find((t) => t.clear?.content?.body === 'b1 from bob').event.content.session_id;
  const wanted = [sessionOfSend(m1), bobSession];
  await eventually(async () => {
    await alice1.backup.flush();
    return wanted.every((s) => backedUpSessions().has(s));
  }, { what: 'both room keys in the backup' });
  const onServer = await alice1.request('GET', `/_matrix/client/v3/room_keys/keys?version=${backupInfo.version}`);
  for (const s of wanted) assert.ok(onServer.rooms[roomId].sessions[s], `session ${s} is on the server`);
});

async function restoredDevice(secret) {
  const dev = await fx.ours('alice', { start: false });
  const seen = recordEvents(dev);
  const progress = [];
  const r = await dev.backup.restore(secret, { onProgress: (stage, done, total) => progress.push([stage, done, total]) });
  assert.equal(r.version, backupInfo.version);
  assert.ok(r.imported >= 2, `imported ${JSON.stringify(r)}`);
  assert.ok(progress.length > 0, 'progress was reported');
  dev.start();
  await eventually(() => decrypted(seen, 'm1 from alice') && decrypted(seen, 'b1 from bob'), { what: 'the old messages on the restored device' });
  assert.equal(decrypted(seen, 'b1 from bob').sender, bob.userId);
  return { dev, seen };
}

let alice2;
let alice2Seen;
test('a new login restores with the recovery key', { timeout: 120_000 }, async () => {
  ({ dev: alice2, seen: alice2Seen } = await restoredDevice(backupInfo.recoveryKey));

});

test('a new login restores with the passphrase; a wrong one is WRONG_KEY', { timeout: 120_000 }, async () => {
  await restoredDevice(PASSPHRASE);
  const other = await fx.ours('alice', { start: false });
  await assert.rejects(other.backup.restore('not the passphrase'), (e) => e.code === 'WRONG_KEY');
});

test('a room key missing at decryption time is fetched from the backup on demand', { timeout: 120_000 }, async () => {
  // alice2 never gets bob's next room key by to-device (the proxy drops it)
  // and only syncs once alice1 has backed that key up.
  let release;
  const rule = fx.proxy.addRule({
    path: '/sync', token: alice2.accessToken,
    hold: new Promise((r) => { release = r; }),
    alterResponse: (body) => {
      if (body.to_device) body.to_device.events = body.to_device.events.filter((t) => t.sender !== bob.userId);
      return body;
    },
  });
  // Once a /sync of alice2 is held, none of hers is in flight unaltered.
  await eventually(() => rule.hits > 0, { what: 'alice2\'s next /sync' });
  await bob.sync();
  // A new Megolm session for b2 (b1's was restored from the backup already).
  assert.equal(await bob.machine.invalidateGroupSession(new bob.sdk.RoomId(roomId)), true);
  const eventId = await bob.sendMessage(roomId, text('b2 while alice2 is away'));
  await eventually(() => decrypted(alice1Seen, 'b2 while alice2 is away'), { what: 'alice1 decrypting b2' });
  const b2Session = sessionOfSend(eventId);
  await eventually(async () => {
    await alice1.backup.flush();
    return backedUpSessions().has(b2Session);
  }, { what: 'b2\'s key in the backup' });
  release();
  const got = await eventually(() => decrypted(alice2Seen, 'b2 while alice2 is away'), { what: 'alice2 decrypting b2 from the backup' });
  assert.equal(got.sender, bob.userId);
  const fetches = fx.proxy.requests(/\/room_keys\/keys\//).filter((e) => e.token === alice2.accessToken);
  assert.ok(fetches.some((e) => e.status === 200), 'the key came from GET /room_keys/keys/{room}/{session}');
  assert.ok(alice2Seen.some((e) => e.eventId === eventId && e.error?.code === 'UNKNOWN_SESSION'), 'it was missing at first');
});

test('the backup key is shared between own devices by m.secret.request / m.secret.send', { timeout: 120_000 }, async () => {
  const alice4 = await fx.ours('alice');
  const secrets = [];
  alice4.on('secretReceived', (e) => secrets.push(e));
  await eventually(async () => (await alice1.getUserDevices(alice1.userId)).some((d) => d.deviceId === alice4.deviceId), { what: 'alice1 seeing alice4' });
  await eventually(async () => (await alice4.getUserDevices(alice4.userId)).some((d) => d.deviceId === alice1.deviceId), { what: 'alice4 seeing alice1' });
  await alice1.setDeviceTrust(alice1.userId, alice4.deviceId, 'trusted');
  await alice4.setDeviceTrust(alice4.userId, alice1.deviceId, 'trusted');
  await alice4.backup.requestKeyFromOwnDevices();
  const got = await eventually(() => secrets.find((s) => s.name === 'm.megolm_backup.v1'), { what: 'the backup key at alice4' });
  const bytes = Uint8Array.from(Buffer.from(got.secret, 'base64'));
  const asRecoveryKey = await fx.mx.recoveryKey.encode(bytes);
  assert.equal(asRecoveryKey.replace(/\s/g, ''), backupInfo.backupRecoveryKey.replace(/\s/g, ''));
  // The secret went encrypted (to-device m.room.encrypted), never in the clear.
  const sends = fx.proxy.log.filter((e) => e.token === alice1.accessToken && /\/sendToDevice\//.test(e.path));
  assert.ok(sends.some((e) => /m\.room\.encrypted/.test(e.path)));
  assert.ok(!sends.some((e) => JSON.stringify(e.requestBody).includes(got.secret)), 'the secret was not sent in the clear');
});

test('a new backup version elsewhere: M_WRONG_ROOM_KEYS_VERSION stops uploads with a backupVersionMismatch event', { timeout: 120_000 }, async () => {
  const mismatches = [];
  alice1.on('backupVersionMismatch', (e) => mismatches.push(e));
  // Another client replaces the backup version (any valid auth_data will do for the server).
  const fresh = await fx.mx.backup.createKey();
  const { version: newVersion } = await alice1.request('POST', '/_matrix/client/v3/room_keys/version', {
    algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: fresh.publicKey },
  });
  assert.notEqual(newVersion, backupInfo.version);

  assert.equal(await bob.machine.invalidateGroupSession(new bob.sdk.RoomId(roomId)), true);
  await bob.sendMessage(roomId, text('b3 after the version changed'));
  await eventually(() => decrypted(alice1Seen, 'b3 after the version changed'), { what: 'alice1 decrypting b3' });
  const ev = await eventually(() => mismatches[0], { what: 'the backupVersionMismatch event' });
  assert.equal(ev.version, backupInfo.version);
  const refused = fx.proxy.requests('/room_keys/keys', 'PUT').filter((e) => e.token === alice1.accessToken && e.status === 403);
  assert.ok(refused.length >= 1);
  assert.equal(refused[0].responseBody.errcode, 'M_WRONG_ROOM_KEYS_VERSION');

  // Uploads stay stopped: a further room key is not uploaded anywhere.
  const puts = () => fx.proxy.requests('/room_keys/keys', 'PUT').filter((e) => e.token === alice1.accessToken).length;
  const before = puts();
  assert.equal(await bob.machine.invalidateGroupSession(new bob.sdk.RoomId(roomId)), true);
  await bob.sendMessage(roomId, text('b4 with backup stopped'));
  await eventually(() => decrypted(alice1Seen, 'b4 with backup stopped'), { what: 'alice1 decrypting b4' });
  await alice1.nextSync();
  await alice1.backup.flush();
  assert.equal(puts(), before, 'no upload after the mismatch');
  assert.equal(mismatches.length, 1);
});
