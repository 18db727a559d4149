// Issue 17: cross-signing and trust on a real Synapse, mixed with
// matrix-sdk-crypto-wasm's OlmMachine (the Rust client). Alice (ours)
// bootstraps cross-signing, signs out, and her new devices restore the keys
// from secret storage (recovery key, passphrase) and from another device by
// m.secret.request / m.secret.send; Bob (Rust) is verified by Alice and
// verifies her; his device that is not cross-signed stays unverified; his
// new master key is detected; Carol's backups are trusted both ways.
import assert from 'node:assert/strict';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { after, before, test } from 'node:test';

import { loadOlm } from './helpers/peers.mjs';
import { eventually, synapseFixture } from './helpers/synapse-fixture.mjs';

let fx;
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => { await fx?.stop(); });

const PASSPHRASE = 'trust me, I am a passphrase';
const CLIENT = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** User-interactive auth with the login's password (called with the 401 answer). */
const passwordAuth = (session) => (uia) => ({
  type: 'm.login.password', identifier: { type: 'm.id.user', user: session.userId }, password: session.password, session: uia.session,
});

/** Canonical JSON (sorted keys, no spaces), written here independently of the Go encoder. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
const signedPart = (obj) => { const { signatures, unsigned, ...rest } = obj; return rest; };

/** Checks signatures[user]['ed25519:'+pub] on obj with libolm and node:crypto. */
async function checkSignature(obj, user, pub) {
  const Olm = await loadOlm();
  const sig = obj.signatures?.[user]?.[`ed25519:${pub}`];
  assert.ok(sig, `a signature by ${pub}`);
  const msg = canonical(signedPart(obj));
  const util = new Olm.Utility();
  try {
    util.ed25519_verify(pub, msg, sig); // throws when wrong
    assert.throws(() => util.ed25519_verify(pub, `${msg} `, sig));
  } finally {
    util.free();
  }
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(pub, 'base64')]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  assert.equal(nodeVerify(null, Buffer.from(msg), key, Buffer.from(sig, 'base64')), true);
}

async function keysQuery(client, users) {
  return client.request('POST', `${CLIENT}/keys/query`, { device_keys: Object.fromEntries(users.map((u) => [u, []])) });
}

const deviceOf = async (client, userId, deviceId) => (await client.getUserDevices(userId)).find((d) => d.deviceId === deviceId);
async function trustOf(client, userId, deviceId, want, what) {
  return eventually(async () => {
    const d = await deviceOf(client, userId, deviceId);
    return d && d.trust === want ? d : null;
  }, { what: what ?? `${client.deviceId} seeing ${userId}/${deviceId} as ${want}` });
}

/** Cross-signing for a Rust client (its bootstrap requests, with UIA). */
async function rustBootstrap(rust) {
  const reqs = await rust.machine.bootstrapCrossSigning(true);
  if (reqs.uploadKeysRequest) await rust.sendOutgoing(reqs.uploadKeysRequest);
  const body = JSON.parse(reqs.uploadSigningKeysRequest.body);
  try {
    await rust.request('POST', `${CLIENT}/keys/device_signing/upload`, body);
  } catch (e) {
    if (e.status !== 401) throw e;
    await rust.request('POST', `${CLIENT}/keys/device_signing/upload`, { ...body, auth: passwordAuth(rust.session)(e.body) });
  }
  await rust.request('POST', `${CLIENT}/keys/signatures/upload`, JSON.parse(reqs.uploadSignaturesRequest.body));
  const status = await rust.machine.crossSigningStatus();
  assert.ok(status.hasMaster && status.hasSelfSigning && status.hasUserSigning);
}

let alice1;
let boot;
let backupInfo;
test('bootstrap: keys published with UIA, device cross-signed, secrets in storage, the backup signed by the master key', { timeout: 120_000 }, async () => {
  alice1 = await fx.ours('alice');
  // A backup from before cross-signing (signed by the device only), its key in secret storage.
  backupInfo = await alice1.backup.enable({ passphrase: PASSPHRASE });
  const before = await alice1.request('GET', `${CLIENT}/room_keys/version`);
  assert.deepEqual(Object.keys(before.auth_data.signatures[alice1.userId]), [`ed25519:${alice1.deviceId}`]);

  boot = await alice1.crossSigning.bootstrap({ auth: passwordAuth(alice1.session), secretStorageKey: PASSPHRASE });
  assert.equal(boot.trusted, true);
  assert.ok(boot.hasMaster && boot.hasSelfSigning && boot.hasUserSigning);
  assert.equal(boot.keyId, backupInfo.keyId, 'the existing secret storage key is used');
  const q = await keysQuery(alice1, [alice1.userId]);
  const master = q.master_keys[alice1.userId];
  assert.equal(Object.values(master.keys)[0], boot.masterKey);
  const ssk = q.self_signing_keys[alice1.userId];
  const sskPub = Object.values(ssk.keys)[0];
  // Signatures checked over canonical JSON by libolm and node:crypto.
  await checkSignature(ssk, alice1.userId, boot.masterKey);
  await checkSignature(q.user_signing_keys[alice1.userId], alice1.userId, boot.masterKey);
  await checkSignature(q.device_keys[alice1.userId][alice1.deviceId], alice1.userId, sskPub);
  assert.ok(master.signatures[alice1.userId][`ed25519:${alice1.deviceId}`], 'the master key signed by the device');
  for (const t of ['m.cross_signing.master', 'm.cross_signing.self_signing', 'm.cross_signing.user_signing']) {
    const c = await alice1.request('GET', `${CLIENT}/user/${enc(alice1.userId)}/account_data/${t}`);
    assert.ok(c.encrypted[boot.keyId].ciphertext, `${t} in secret storage`);
  }
  // The backup's auth_data now carries the master key's signature too.
  const version = await alice1.request('GET', `${CLIENT}/room_keys/version`);
  assert.equal(version.version, backupInfo.version);
  await checkSignature(version.auth_data, alice1.userId, boot.masterKey);
  const trust = await alice1.backup.trust();
  assert.equal(trust.trusted, true);
  assert.equal(trust.signedByMaster, true);
  assert.deepEqual(trust.signedByDevices, [alice1.deviceId]);
});

let alice2;
let alice3;
let aliceRust;
test('sign out; a new device restores the keys from secret storage with the recovery key', { timeout: 180_000 }, async () => {
  await alice1.request('POST', `${CLIENT}/logout`, {});
  await alice1.close();
  alice2 = await fx.ours('alice');
  assert.equal((await alice2.crossSigning.status()).trusted, false);
  await assert.rejects(alice2.crossSigning.verifyUser(fx.userId('nobody')), (e) => e.code === 'NO_CROSS_SIGNING');
  const s2 = await alice2.crossSigning.restore(backupInfo.recoveryKey);
  assert.equal(s2.trusted, true);
  assert.equal(s2.masterKey, boot.masterKey);
  assert.ok(s2.hasMaster && s2.hasSelfSigning && s2.hasUserSigning);
  // The server has alice2 signed by the self-signing key.
  const q = await keysQuery(alice2, [alice2.userId]);
  await checkSignature(q.device_keys[alice2.userId][alice2.deviceId], alice2.userId, Object.values(q.self_signing_keys[alice2.userId].keys)[0]);
  await eventually(async () => !(await deviceOf(alice2, alice2.userId, alice1.deviceId)), { what: 'alice1 gone' });
  // The backup made by alice1 (signed by the master key) is trusted here.
  const t = await alice2.backup.trust();
  assert.equal(t.trusted, true);
  assert.equal(t.signedByMaster, true);
});

test('another new device restores with the passphrase; own devices trusted both ways, and by a Rust device of the same user', { timeout: 180_000 }, async () => {
  alice3 = await fx.ours('alice');
  await assert.rejects(alice3.crossSigning.restore('not the passphrase'), (e) => e.code === 'WRONG_KEY');
  assert.equal((await alice3.crossSigning.status()).hasMaster, false, 'a failed restore keeps nothing');
  const s3 = await alice3.crossSigning.restore(PASSPHRASE);
  assert.equal(s3.trusted, true);
  const d3 = await trustOf(alice2, alice2.userId, alice3.deviceId, 'trusted');
  assert.equal(d3.crossSigned, true);
  await trustOf(alice3, alice3.userId, alice2.deviceId, 'trusted');
  // A Rust device of Alice sees both cross-signed by her; we see it unverified (nobody signed it).
  aliceRust = await fx.rust('alice');
  const { UserId, DeviceId } = aliceRust.sdk;
  await eventually(async () => {
    await aliceRust.sync();
    const ds = await Promise.all([alice2, alice3].map((c) => aliceRust.machine.getDevice(new UserId(c.userId), new DeviceId(c.deviceId))));
    return ds.every((d) => d?.isCrossSignedByOwner());
  }, { what: 'the Rust device seeing alice2 and alice3 cross-signed' });
  const dr = await trustOf(alice3, alice3.userId, aliceRust.deviceId, 'unverified');
  assert.equal(dr.crossSigned, false);
});

let alice4;
test('a new device gets the cross-signing keys from another by m.secret.request / m.secret.send', { timeout: 180_000 }, async () => {
  alice4 = await fx.ours('alice');
  const d4 = await trustOf(alice2, alice2.userId, alice4.deviceId, 'unverified');
  assert.equal(d4.crossSigned, false);
  await trustOf(alice4, alice4.userId, alice2.deviceId, 'unverified', 'alice4 not trusting alice2 before it has the keys');
  // Interactive verification (a later step) stands in as each side's own decision.
  await alice2.setDeviceTrust(alice2.userId, alice4.deviceId, 'trusted');
  await alice4.setDeviceTrust(alice4.userId, alice2.deviceId, 'trusted');
  const s4 = await alice4.crossSigning.requestFromOwnDevices();
  assert.equal(s4.trusted, true);
  assert.ok(s4.hasMaster && s4.hasSelfSigning && s4.hasUserSigning);
  // alice3 never decided anything about alice4: cross-signing makes it trusted.
  const seen = await trustOf(alice3, alice3.userId, alice4.deviceId, 'trusted');
  assert.equal(seen.crossSigned, true);
  const sends = fx.proxy.log.filter((e) => e.token === alice2.accessToken && /\/sendToDevice\//.test(e.path));
  assert.ok(sends.some((e) => /m\.room\.encrypted/.test(e.path)));
  assert.ok(!sends.some((e) => /m\.secret\.send/.test(e.path)), 'secrets only go Olm-encrypted');
});

let bob;
let bob2;
let roomId;
test('other users, mixed with the Rust client: verify Bob; his non-cross-signed device stays unverified; he sees us cross-signed and verifies us', { timeout: 180_000 }, async () => {
  bob = await fx.rust('bob');
  await rustBootstrap(bob);
  bob2 = await fx.rust('bob'); // a second device of Bob that nobody cross-signs
  roomId = await alice2.createEncryptedRoom({ invite: [bob.userId] });
  await bob.syncUntil((c) => c.invites.has(roomId), { what: 'the invite' });
  await bob.join(roomId);
  await bob2.sync();
  const before = await eventually(async () => {
    const devs = await alice2.getUserDevices(bob.userId);
    return devs.length === 2 ? devs : null;
  }, { what: 'alice2 seeing both of bob\'s devices' });
  assert.deepEqual(before.map((d) => d.trust), ['unverified', 'unverified']);
  assert.equal(before.find((d) => d.deviceId === bob.deviceId).crossSigned, true);
  assert.equal(before.find((d) => d.deviceId === bob2.deviceId).crossSigned, false);
  assert.equal((await alice2.crossSigning.userIdentity(bob.userId)).verified, false);

  await alice2.crossSigning.verifyUser(bob.userId);
  await trustOf(alice2, bob.userId, bob.deviceId, 'trusted');
  assert.equal((await deviceOf(alice2, bob.userId, bob2.deviceId)).trust, 'unverified');
  const idBob = await alice2.crossSigning.userIdentity(bob.userId);
  assert.equal(idBob.verified, true);
  // Another of Alice's devices sees the verification too (it is on the server).
  await trustOf(alice3, bob.userId, bob.deviceId, 'trusted');

  // Decrypted events carry the sender device's trust.
  const got = alice2.waitForEvent((e) => e.content?.body === 'hello from verified bob');
  await bob.sendMessage(roomId, { msgtype: 'm.text', body: 'hello from verified bob' });
  const ev = await got;
  assert.equal(ev.senderDevice?.deviceId, bob.deviceId);
  assert.equal(ev.senderDevice?.trust, 'trusted');

  // Only-trusted sharing withholds the key from bob2 (m.unverified).
  const reqs = await alice2.machine.shareRoomKey(roomId, [alice2.userId, bob.userId], { onlyTrustedDevices: true });
  const withheld = reqs.filter((r) => r.path.includes('/m.room_key.withheld/'));
  assert.equal(withheld[0]?.body.messages[bob.userId][bob2.deviceId].code, 'm.unverified');
  assert.equal(withheld[0].body.messages[bob.userId][bob.deviceId], undefined);
  await alice2.flush();

  // The Rust client sees Alice's devices cross-signed by her, and verifies her.
  await bob.sync();
  const { UserId, DeviceId } = bob.sdk;
  await eventually(async () => {
    await bob.sync();
    const d = await bob.machine.getDevice(new UserId(alice2.userId), new DeviceId(alice2.deviceId));
    return d?.isCrossSignedByOwner();
  }, { what: 'bob seeing alice2 cross-signed' });
  const identity = await bob.machine.getIdentity(new UserId(alice2.userId));
  assert.equal(identity.isVerified(), false);
  await bob.sendOutgoing(await identity.verify());
  await eventually(async () => {
    await bob.sync();
    const d = await bob.machine.getDevice(new UserId(alice2.userId), new DeviceId(alice4.deviceId));
    return d?.isCrossSigningTrusted();
  }, { what: 'bob trusting alice4 through cross-signing' });
  assert.equal((await bob.machine.getIdentity(new UserId(alice2.userId))).isVerified(), true);
});

test('a changed master key is detected (TOFU pin) and its devices are no longer trusted', { timeout: 120_000 }, async () => {
  const changes = [];
  alice2.on('identityChanged', (e) => changes.push(e));
  const old = (await alice2.crossSigning.userIdentity(bob.userId)).masterKey;
  await rustBootstrap(bob); // new keys for Bob
  const ev = await eventually(() => changes.find((e) => e.userId === bob.userId), { what: 'the identityChanged event' });
  assert.equal(ev.pinnedMasterKey, old);
  assert.notEqual(ev.masterKey, old);
  assert.equal(ev.wasVerified, true);
  const id = await alice2.crossSigning.userIdentity(bob.userId);
  assert.equal(id.identityChanged, true);
  assert.equal(id.verified, false);
  await trustOf(alice2, bob.userId, bob.deviceId, 'unverified');
  await alice2.crossSigning.pinIdentity(bob.userId);
  const pinned = await alice2.crossSigning.userIdentity(bob.userId);
  assert.equal(pinned.identityChanged, false);
  assert.equal(pinned.pinnedMasterKey, ev.masterKey);
});

test('backup trust both ways with the Rust client; an unsigned version is untrusted and not uploaded to', { timeout: 180_000 }, async () => {
  const carolRust = await fx.rust('carol');
  await rustBootstrap(carolRust);
  const { UserId, DeviceId, LocalTrust, BackupDecryptionKey } = carolRust.sdk;
  // The Rust client's backup, signed by its device and master key.
  const key = BackupDecryptionKey.createRandomKey();
  const authData = { public_key: key.megolmV1PublicKey.publicKeyBase64 };
  const sigs = await carolRust.machine.sign(canonical(authData));
  authData.signatures = JSON.parse(sigs.asJSON());
  const { version: rustVersion } = await carolRust.request('POST', `${CLIENT}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: authData });
  const info = await carolRust.request('GET', `${CLIENT}/room_keys/version`);
  assert.equal((await carolRust.machine.verifyBackup(info)).trusted(), true);

  const carol = await fx.ours('carol');
  // Before we hold Carol's keys, the Rust version is not trusted here.
  const untrustedYet = await carol.backup.trust();
  assert.equal(untrustedYet.trusted, false);
  await assert.rejects(carol.backup.useServerVersion(), (e) => e.code === 'UNTRUSTED_BACKUP');
  // Each side trusts the other device (interactive verification stands in), then the keys travel from Rust to us.
  await trustOf(carol, carol.userId, carolRust.deviceId, 'unverified');
  await carol.setDeviceTrust(carol.userId, carolRust.deviceId, 'trusted');
  await carolRust.machine.markAllTrackedUsersAsDirty(); // its first /sync has no device_lists
  await eventually(async () => {
    await carolRust.sync();
    return carolRust.machine.getDevice(new UserId(carol.userId), new DeviceId(carol.deviceId));
  }, { what: 'the Rust client seeing our device' });
  const rd = await carolRust.machine.getDevice(new UserId(carol.userId), new DeviceId(carol.deviceId));
  await rd.setLocalTrust(LocalTrust.Verified);
  let done = false;
  const pump = (async () => { while (!done) await carolRust.sync({ timeoutMs: 200 }); })();
  let status;
  try {
    status = await carol.crossSigning.requestFromOwnDevices({ timeoutMs: 90_000 });
  } finally {
    done = true;
    await pump;
  }
  assert.equal(status.trusted, true);
  const t = await carol.backup.trust();
  assert.equal(t.version, rustVersion);
  assert.equal(t.trusted, true);
  assert.equal(t.signedByMaster, true);
  assert.equal((await carol.backup.useServerVersion()).trusted, true);
  // The Rust client sees our device cross-signed by Carol.
  await eventually(async () => {
    await carolRust.sync();
    const d = await carolRust.machine.getDevice(new UserId(carol.userId), new DeviceId(carol.deviceId));
    return d?.isCrossSignedByOwner() && d.isCrossSigningTrusted();
  }, { what: 'the Rust client seeing our device cross-signed' });

  // Our backup (signed by our device and the master key) is trusted by the Rust client.
  const ours = await carol.backup.enable({ passphrase: 'carol backup' });
  const ourInfo = await carolRust.request('GET', `${CLIENT}/room_keys/version`);
  assert.equal(ourInfo.version, ours.version);
  await checkSignature(ourInfo.auth_data, carol.userId, status.masterKey);
  const v = await carolRust.machine.verifyBackup(ourInfo);
  assert.equal(v.trusted(), true);

  // A version signed by nobody: untrusted on both sides, and we do not upload to it.
  const bare = await fx.mx.backup.createKey();
  await carol.request('POST', `${CLIENT}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: bare.publicKey } });
  const bareInfo = await carol.request('GET', `${CLIENT}/room_keys/version`);
  assert.equal((await carol.backup.trust()).trusted, false);
  assert.equal((await carolRust.machine.verifyBackup(bareInfo)).trusted(), false);
  await assert.rejects(carol.backup.useServerVersion(), (e) => e.code === 'UNTRUSTED_BACKUP');
});
