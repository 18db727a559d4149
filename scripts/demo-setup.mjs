// The demo's users, room and bot, shared by scripts/demo.mjs (npm start) and
// the page tests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Registers alice, bob and bot (or the given names) and makes the encrypted
 * room "Demo room" with all of them (the first creates it, the second joins,
 * the bot joins when it first syncs). The registrations' own devices hold no
 * keys and are logged out, so room keys go only to the devices people and
 * the bot sign in with. Resolves to { users: { name: { userId, password,
 * (bot:) accessToken, deviceId, passphrase } }, roomId }.
 */
export async function setUpDemo(hs, { names = ['alice', 'bob'], bot = 'bot', roomName = 'Demo room' } = {}) {
  const registered = {};
  for (const who of [...names, bot]) registered[who] = await hs.registerUser(who, { password: `${who}-${randomBytes(4).toString('hex')}` });
  const api = async (token, method, path, body) => {
    const r = await fetch(`${hs.baseUrl}/_matrix/client/v3${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const [first, ...others] = names;
  const { room_id: roomId } = await api(registered[first].accessToken, 'POST', '/createRoom', {
    name: roomName, preset: 'private_chat', invite: [...others, bot].map((w) => registered[w].userId),
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  for (const who of others) await api(registered[who].accessToken, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
  const botLogin = await hs.login(bot, registered[bot].password, {});
  for (const who of [...names, bot]) await api(registered[who].accessToken, 'POST', '/logout', {});
  const users = {};
  for (const who of names) users[who] = { userId: registered[who].userId, password: registered[who].password };
  users.bot = { userId: registered[bot].userId, password: registered[bot].password, accessToken: botLogin.accessToken, deviceId: botLogin.deviceId, passphrase: randomBytes(16).toString('hex') };
  return { users, roomId };
}

/**
 * Starts scripts/demo-bot.mjs for the bot of setUpDemo with its key store
 * in storeDir; resolves once it says it is ready to { pid, deviceId, stop() }
 * (stop: SIGTERM to its PID, SIGKILL after 5 s). log gets its other lines.
 */
export function startBot({ homeserverUrl, bot, storeDir, log = () => {} }) {
  mkdirSync(storeDir, { recursive: true });
  const child = spawn(process.execPath, [join(root, 'scripts', 'demo-bot.mjs')], {
    env: { ...process.env, MXCRYPTO_BOT: JSON.stringify({ homeserverUrl, accessToken: bot.accessToken, storeDir, passphrase: bot.passphrase }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolveReady, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^ready (\S+)/.exec(line);
        if (m) resolveReady({ pid: child.pid, deviceId: m[1], stop });
        else if (line) log(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`the demo bot exited (${code}) before it was ready`)));
  });
}
