// A backup made by matrix-sdk-crypto-wasm's OlmMachine restores into our
// device: its room keys come from our Megolm sessions (imported into the
// OlmMachine as an export file), it backs them up to its own backup key, and
// our device restores that body and decrypts the room events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

const mx = await init();
const rust = await import('@matrix-org/matrix-sdk-crypto-wasm');
await rust.initAsync();

test("OlmMachine's backup (enableBackupV1 + backupRoomKeys) restores into a device", { timeout: 120_000 }, async () => {
  const sender = await mx.olm.createAccount();
  const rooms = ['!a:example.org', '!b:example.org'];
  const exported = [];
  const events = [];
  for (let i = 0; i < 12; i++) {
    const roomId = rooms[i % 2];
    const out = await mx.megolm.createOutboundSession();
    const inbound = await mx.megolm.createInboundSession(await out.sessionKey());
    const ciphertext = await out.encrypt(JSON.stringify({ type: 'm.room.message', content: { body: `m${i}` }, room_id: roomId }));
    events.push({ roomId, body: `m${i}`, event: { event_id: `$e${i}`, room_id: roomId, content: { algorithm: 'm.megolm.v1.aes-sha2', sender_key: sender.identityKeys.curve25519, session_id: out.sessionId, ciphertext, device_id: 'SENDER' } } });
    exported.push({
      algorithm: 'm.megolm.v1.aes-sha2', room_id: roomId, sender_key: sender.identityKeys.curve25519, session_id: out.sessionId,
      session_key: await inbound.export(0), sender_claimed_keys: { ed25519: sender.identityKeys.ed25519 }, forwarding_curve25519_key_chain: [],
    });
  }

  const machine = await rust.OlmMachine.initialize(new rust.UserId('@rust:example.org'), new rust.DeviceId('RUST'));
  const imported = await machine.importExportedRoomKeys(JSON.stringify(exported), () => {});
  assert.equal(imported.importedCount, 12);
  const backupKey = rust.BackupDecryptionKey.createRandomKey();
  const publicKey = backupKey.megolmV1PublicKey.publicKeyBase64;
  await machine.enableBackupV1(publicKey, '1');
  const body = { rooms: {} };
  for (let req; (req = await machine.backupRoomKeys()); ) {
    for (const [roomId, room] of Object.entries(JSON.parse(req.body).rooms)) Object.assign((body.rooms[roomId] ??= { sessions: {} }).sessions, room.sessions);
    await machine.markRequestAsSent(req.id, req.type, '{"etag":"1","count":12}');
  }
  assert.equal(Object.values(body.rooms).reduce((n, r) => n + Object.keys(r.sessions).length, 0), 12);
  machine.close();

  const device = await mx.openDevice({ userId: '@alice:example.org', deviceId: 'NEW', store: 'rust-backup', backend: 'memory', storeKey: new Uint8Array(32).fill(5) });
  await device.enableBackup({ version: '1', publicKey });
  const privateKey = Uint8Array.from(Buffer.from(backupKey.toBase64(), 'base64'));
  await assert.rejects(device.restoreBackup(new Uint8Array(32).fill(9), body), (e) => e.code === 'WRONG_KEY');
  assert.deepEqual(await device.restoreBackup(privateKey, body), { total: 12, imported: 12, skipped: 0, failures: {} });
  for (const e of events) assert.equal((await device.decryptRoomEvent(e.roomId, e.event)).content.body, e.body);
  await device.close();
});
