// The demo bot of `npm start` (scripts/demo.mjs starts it): a Node client
// using mx.connect that joins the rooms it is invited to and answers every
// message, encrypted, saying what it decrypted and from which device. Its
// keys live in an encrypted file store under the demo's state directory, so
// it keeps one device across runs.
//
//   MXCRYPTO_BOT='{"homeserverUrl":…,"accessToken":…,"storeDir":…,"passphrase":…}' node scripts/demo-bot.mjs
//
// Prints "ready <deviceId>" once it has synced and joined its rooms.
import { init } from 'mxcrypto';

const cfg = JSON.parse(process.env.MXCRYPTO_BOT ?? '{}');
const mx = await init();
const client = await mx.connect({
  homeserverUrl: cfg.homeserverUrl,
  accessToken: cfg.accessToken,
  store: 'demo-bot', backend: 'fs', path: cfg.storeDir, passphrase: cfg.passphrase,
  start: false,
  syncTimeoutMs: 20000,
});
client.on('error', (e) => console.error(`bot: sync: ${e.code} ${e.message}`));
const joins = [];
client.on('invite', ({ roomId }) => joins.push(client.join(roomId).then(() => console.log(`bot: joined ${roomId}`), (e) => console.error(`bot: join ${roomId}: ${e.message}`))));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await client.close().catch(() => {});
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// Catch up (joins pending invites), then run the loop and answer.
await client.sync({ timeoutMs: 0 });
await Promise.all(joins);
console.log(`ready ${client.deviceId}`);
client.start();

for await (const ev of client.events()) {
  if (ev.sender === client.userId || ev.type !== 'm.room.message' && !ev.error) continue;
  let body;
  if (ev.error) {
    if (ev.retried) continue;
    body = `I could not decrypt your message (${ev.error.code}${ev.error.withheldCode ? ` ${ev.error.withheldCode}` : ''}); I will answer once its key arrives.`;
  } else {
    const dev = ev.senderDevice ? `your device ${ev.senderDevice.deviceId}` : 'a device I do not know yet';
    body = `[bot] I decrypted "${ev.content.body}" from ${dev}${ev.retried ? ' (its key came late)' : ''}. This answer is encrypted too.`;
  }
  try {
    await client.sendMessage(ev.roomId, { msgtype: 'm.notice', body });
  } catch (e) {
    console.error(`bot: send: ${e.code} ${e.message}`);
  }
}
