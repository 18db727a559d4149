// Type-checks the README's bot example and the rest of the Client API (tests/homeserver-types.test.mjs).
import { init, type Client, type ClientRoomEvent } from '../../jsbridge/js/index.js';

async function bot(): Promise<void> {
  const mx = await init();
  const client: Client = await mx.connect({
    homeserverUrl: 'https://matrix.example.org',
    user: 'echo-bot',
    password: 'secret',
    deviceId: 'ECHOBOT',
    store: 'echo-bot',
    passphrase: 'store passphrase',
    retry: { maxAttempts: 5 },
  });
  client.on('invite', ({ roomId }) => void client.join(roomId));
  client.on('error', (e) => console.warn(e.code, e.status, e.errcode));
  client.on('backupVersionMismatch', (e) => console.warn(e.type));
  for await (const ev of client.events((e: ClientRoomEvent) => e.sender !== client.userId)) {
    if (ev.error) console.warn(ev.error.code, ev.error.withheldCode);
    else if (ev.type === 'm.room.message') await client.sendMessage(ev.roomId, { msgtype: 'm.notice', body: String(ev.content.body) });
  }
  const roomId: string = await client.createEncryptedRoom({ invite: ['@alice:example.org'] });
  const eventId: string = await client.sendMessage(roomId, { msgtype: 'm.text', body: 'hi' });
  const got = await client.waitForEvent((e) => e.eventId === eventId, 10_000);
  console.log(got.senderDevice?.deviceId, client.rooms.get(roomId)?.encrypted);
  const { version, recoveryKey } = await client.backup.enable({ passphrase: 'backup passphrase' });
  const restored = await client.backup.restore(recoveryKey ?? 'passphrase', { onProgress: (stage, done, total) => console.log(stage, done, total) });
  const cs = await client.crossSigning.bootstrap({ auth: (uia) => ({ type: 'm.login.password', session: uia.session ?? null }), passphrase: 'ssss' });
  const again: boolean = (await client.crossSigning.restore(cs.recoveryKey ?? 'ssss')).trusted;
  await client.crossSigning.verifyUser('@bob:example.org');
  const who = await client.crossSigning.userIdentity('@bob:example.org');
  if (who.identityChanged) await client.crossSigning.pinIdentity(who.userId);
  const devs = await client.getUserDevices('@bob:example.org');
  console.log(again, devs.map((d) => [d.trust, d.crossSigned]), (await client.backup.trust()).signedByMaster);
  client.on('identityChanged', (e) => console.warn(e.type));
  const req = await client.machine.bootstrapCrossSigning();
  await client.machine.markRequestAsSent(req.id, req.type, {}, { status: 200 });
  const t = await client.machine.enableBackup({ versionInfo: { version: '1' } });
  console.log(t.trusted, (await client.machine.crossSigningStatus()).hasMaster);
  console.log(version, restored.version);
  await client.close();
}
void bot;
