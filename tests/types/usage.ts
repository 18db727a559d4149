// Compiled (not run) by tests/types.test.mjs: the README-style usage must
// type-check against jsbridge/js/index.d.ts.
import { init, type JsonObject, type MxCrypto, type MxCryptoError, type OlmMessage } from '../../jsbridge/js/index.js';

async function main(): Promise<void> {
  const mx: MxCrypto = await init({ wasm: new URL('../../dist/mxcrypto.wasm', import.meta.url) });
  const { key, keyInfo, recoveryKey } = await mx.secretStorage.createKey({ passphrase: 'p', name: 'n' });
  const ok: boolean = await mx.secretStorage.checkKey(await mx.recoveryKey.decode(recoveryKey), keyInfo);
  const enc = await mx.secretStorage.encrypt('secret', key, 'm.cross_signing.master');
  const secret: string = await mx.secretStorage.decrypt(enc, key, 'm.cross_signing.master');
  const backupKey = await mx.backup.createKey();
  const data = await mx.backup.encrypt(backupKey.publicKey, { algorithm: 'm.megolm.v1.aes-sha2' });
  const { sessions, failures } = await mx.backup.decryptMany(backupKey.privateKey, { rooms: { '!r': { sessions: { s: { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: data } } } } }, { onProgress: (done: number, total: number) => void [done, total] });
  const code: string | undefined = failures[0]?.code;
  const account = await mx.olm.createAccount({ now: () => Date.now() });
  await account.generateOneTimeKeys(1);
  const otk = Object.values(await account.unpublishedOneTimeKeys())[0];
  const session = await account.createOutboundSession(account.identityKeys.curve25519, otk);
  const msg: OlmMessage = await session.encrypt('hi');
  const outbound = await mx.megolm.createOutboundSession();
  const inbound = await mx.megolm.createInboundSession(await outbound.sessionKey());
  const { plaintext, messageIndex } = await inbound.decrypt(await outbound.encrypt('hello'));
  const guard = new mx.megolm.ReplayGuard();
  await guard.check(inbound.sessionId, messageIndex, '$event');
  const restoredGuard: InstanceType<typeof mx.megolm.ReplayGuard> = await mx.megolm.ReplayGuard.import(await guard.export());
  await restoredGuard.forget(inbound.sessionId);
  const device = await mx.openDevice({ userId: '@a:example.org', deviceId: 'A', store: 'keys', passphrase: 'p' });
  const upload = await device.keysForUpload({ oneTimeKeyCounts: { signed_curve25519: 10 }, unusedFallbackKeyTypes: [] });
  if (upload) await device.markKeysUploaded({ one_time_key_counts: { signed_curve25519: 50 } });
  for (const k of await device.fallbackKeyStatus()) {
    const forget: number | null = k.forgetAt;
    const kept: boolean = k.keptUntilNextRotation;
    if (k.current && forget === null && !kept) console.log(k.keyId, k.publicKey, k.created, k.published, k.replaced, k.used);
  }
  const room = await device.encryptRoomEvent('!r:example.org', 'm.room.message', { body: 'hi' }, { rotationPeriodMsgs: 100 });
  if (room.roomKey) await device.encryptToDevice({ userId: '@b:example.org', deviceId: 'B' }, 'm.room_key', room.roomKey);
  const batch = await device.nextBackupBatch(100);
  if (batch) await device.markBackedUp(batch);
  const restored = await device.restoreBackup(recoveryKey, { rooms: {} }, { onProgress: (stage, done, total) => void [stage, done, total] });
  const imported: number = restored.imported;
  await device.close();
  void [ok, secret, sessions, code, msg, plaintext, imported];
}
void main;

async function storeUsage(mx: MxCrypto): Promise<void> {
  const store = await mx.store.open({ name: 'keys', backend: 'indexeddb', storeKey: new Uint8Array(32) });
  await store.put('olmSession', ['peerKey', 'sessionId'], new Uint8Array(1));
  const v: Uint8Array | null = await store.get('secret', 'm.megolm_backup.v1');
  await store.putInbound([{ roomId: '!r', sessionId: 's', state: new Uint8Array(1) }]);
  const pending = await store.pendingBackup(100);
  await store.markBackedUp('1', pending);
  const { total, backedUp } = await store.counts();
  const listed = await store.list('olmSession', 'peerKey');
  void [v, total, backedUp, listed[0]?.ids, pending[0]?.state, await store.generation()];
  await store.close();
}
void storeUsage;

async function machineUsage(mx: MxCrypto): Promise<void> {
  const m = await mx.openMachine({ userId: '@a:example.org', deviceId: 'A', store: 'm', backend: 'memory', passphrase: 'p' });
  const { toDeviceEvents, events } = await m.receiveSyncChanges({
    toDeviceEvents: [], changedDevices: { changed: ['@b:example.org'], left: [] },
    oneTimeKeyCounts: { signed_curve25519: 3 }, unusedFallbackKeyTypes: null, nextBatch: 's1',
  });
  for (const e of toDeviceEvents) if ('failure' in e) void e.code; else if (e.encrypted) void e.senderKey;
  for (const e of events) if (e.type === 'roomKeyReceived') void e.sessionId; else if (e.type === 'backupVersionMismatch') void e.currentVersion;
  for (const r of await m.outgoingRequests()) {
    const { events: more } = await m.markRequestAsSent(r.id, r.type, { ok: true }, { status: 200 });
    void [r.method, r.path, r.body, more];
  }
  await m.updateTrackedUsers(['@b:example.org']);
  const reqs = await m.shareRoomKey('!r:example.org', ['@b:example.org'], { rotationPeriodMsgs: 100, onlyTrustedDevices: false });
  const content = await m.encryptRoomEvent('!r:example.org', 'm.room.message', { body: 'hi' });
  try {
    const ev = await m.decryptRoomEvent('!r:example.org', { event_id: '$e', sender: '@b:example.org', content });
    const dev: string | undefined = ev.senderDevice?.deviceId;
    void [dev, ev.forwarded, ev.content];
    for (const r of await m.decryptRoomEvents('!r:example.org', [{ event_id: '$e', sender: '@b:example.org', content }])) {
      if ('error' in r) {
        const failed: string = r.error.code;
        void failed;
      } else {
        const body: JsonObject = r.content;
        void [body, r.senderDevice?.deviceId];
      }
    }
  } catch (e) {
    const code: string = (e as MxCryptoError).code;
    void [code, (e as MxCryptoError).withheldCode];
  }
  await m.setDeviceTrust('@b:example.org', 'B', 'trusted');
  const devices = await m.getUserDevices('@b:example.org');
  const token: string | null = await m.syncToken();
  const { body, privateKey } = await m.createBackupVersion();
  await m.enableBackup({ version: '1', publicKey: String((body.auth_data as { public_key: string }).public_key), privateKey });
  await m.requestSecret('m.megolm_backup.v1');
  void [reqs.length, devices[0]?.trust, token, m.device.identityKeys];
  await m.close();
}
void machineUsage;
