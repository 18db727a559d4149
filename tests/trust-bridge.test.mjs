// Issue 17 without a homeserver: the cross-signing bodies the Machine makes
// carry Ed25519 signatures that libolm (Utility.ed25519_verify) and
// node:crypto accept over canonical JSON written here independently; the
// private keys it puts in secret storage are the seeds of the published
// keys (derived again with node:crypto); refused calls keep no state.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { test } from 'node:test';

import { init } from 'mxcrypto';
import { loadOlm } from './helpers/peers.mjs';

const mx = await init();
const Olm = await loadOlm();
let serial = 0;
const open = (userId = '@carol:example.org') => mx.openMachine({ userId, deviceId: `TB${++serial}`, store: `trust-bridge-${process.pid}-${serial}`, backend: 'memory', storeKey: new Uint8Array(32).fill(serial) });

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
const signedPart = (obj) => { const { signatures, unsigned, ...rest } = obj; return rest; };
const b64 = (s) => Buffer.from(s, 'base64');
const unpadded = (buf) => buf.toString('base64').replace(/=+$/, '');

/** Both independent verifiers agree the signature at signatures[user][keyId] is pub's over obj. */
function bothVerify(obj, user, keyId, pub) {
  const sig = obj.signatures[user][keyId];
  const msg = canonical(signedPart(obj));
  const util = new Olm.Utility();
  try {
    util.ed25519_verify(pub, msg, sig);
    assert.throws(() => util.ed25519_verify(pub, msg.replace('"', '"x'), sig));
  } finally {
    util.free();
  }
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), b64(pub)]), format: 'der', type: 'spki' });
  assert.equal(nodeVerify(null, Buffer.from(msg), key, b64(sig)), true);
}

/** The Ed25519 public key of a 32-byte seed, by node:crypto. */
function publicOfSeed(seed) {
  const priv = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  return unpadded(createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12));
}

test('bootstrap bodies and signatures verify with libolm and node:crypto; secrets are the published keys\' seeds', async () => {
  const m = await open();
  const req = await m.bootstrapCrossSigning();
  assert.equal(req.type, 'signing_keys_upload');
  assert.equal(req.path, '/_matrix/client/v3/keys/device_signing/upload');
  const { master_key: master, self_signing_key: ssk, user_signing_key: usk } = req.body;
  const masterPub = Object.values(master.keys)[0];
  assert.deepEqual(master.usage, ['master']);
  assert.equal(master.user_id, m.userId);
  for (const k of [ssk, usk]) bothVerify(k, m.userId, `ed25519:${masterPub}`, masterPub);

  const { events } = await m.markRequestAsSent(req.id, req.type, {}, { status: 200 });
  assert.deepEqual(events, [{ type: 'crossSigningChanged', masterKey: masterPub }]);
  const sigReq = (await m.outgoingRequests()).find((r) => r.type === 'signatures_upload');
  const mine = sigReq.body[m.userId];
  const sskPub = Object.values(ssk.keys)[0];
  bothVerify(mine[m.deviceId], m.userId, `ed25519:${sskPub}`, sskPub); // this device by the self-signing key
  bothVerify(mine[masterPub], m.userId, `ed25519:${m.deviceId}`, m.identityKeys.ed25519); // the master key by this device
  assert.equal(mine[m.deviceId].keys[`ed25519:${m.deviceId}`], m.identityKeys.ed25519);

  // The backup auth_data is signed by the device and the master key.
  const created = await m.createBackupVersion();
  bothVerify(created.body.auth_data, m.userId, `ed25519:${masterPub}`, masterPub);
  bothVerify(created.body.auth_data, m.userId, `ed25519:${m.deviceId}`, m.identityKeys.ed25519);

  // What goes to secret storage decrypts (secretStorage.decrypt) to the seeds of the published keys.
  const ssss = await mx.secretStorage.createKey();
  const stored = await m.crossSigningSecretsForStorage(ssss.keyId, ssss.key);
  const expect = { 'm.cross_signing.master': masterPub, 'm.cross_signing.self_signing': sskPub, 'm.cross_signing.user_signing': Object.values(usk.keys)[0] };
  for (const [name, pub] of Object.entries(expect)) {
    const seed = await mx.secretStorage.decrypt(stored[name].encrypted[ssss.keyId], ssss.key, name);
    assert.equal(publicOfSeed(b64(seed)), pub, name);
  }
  await m.close();
});

test('refused calls keep no state: wrong secret-storage key, nothing published, no keys, untrusted backup', async () => {
  const m = await open('@dave:example.org');
  const status = await m.crossSigningStatus();
  assert.deepEqual(status, { published: false, masterKey: null, trusted: false, hasMaster: false, hasSelfSigning: false, hasUserSigning: false });
  await assert.rejects(m.importCrossSigningKeys(), (e) => e.code === 'NO_CROSS_SIGNING');
  await assert.rejects(m.verifyUser('@erin:example.org'), (e) => e.code === 'NO_CROSS_SIGNING');
  await assert.rejects(m.crossSigningSecretsForStorage('k', new Uint8Array(32)), (e) => e.code === 'NO_CROSS_SIGNING');

  // Secrets of another machine, opened with the wrong key: BAD_MAC, nothing kept.
  const other = await open('@dave:example.org');
  const req = await other.bootstrapCrossSigning();
  await other.markRequestAsSent(req.id, req.type, {}, { status: 200 });
  const ssss = await mx.secretStorage.createKey();
  const stored = await other.crossSigningSecretsForStorage(ssss.keyId, ssss.key);
  await assert.rejects(m.restoreCrossSigning(stored, new Uint8Array(32).fill(1), ssss.keyId), (e) => e.code === 'BAD_MAC');
  assert.deepEqual(await m.crossSigningStatus(), status);
  // The right key, but nothing published yet (no /keys/query answer): NO_CROSS_SIGNING, nothing kept.
  await assert.rejects(m.restoreCrossSigning(stored, ssss.key, ssss.keyId), (e) => e.code === 'NO_CROSS_SIGNING');
  assert.deepEqual(await m.crossSigningStatus(), status);

  // A version signed by nobody is untrusted, and not enabled.
  const bare = await mx.backup.createKey();
  const info = { version: '3', algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: bare.publicKey } };
  const t = await m.verifyBackup(info);
  assert.equal(t.trusted, false);
  await assert.rejects(m.enableBackup({ versionInfo: info }), (e) => e.code === 'UNTRUSTED_BACKUP');
  // With its private key it is trusted (the key matches).
  assert.equal((await m.enableBackup({ versionInfo: info, privateKey: bare.privateKey })).keyMatches, true);
  await m.close();
  await other.close();
});
