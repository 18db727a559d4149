// `npm start`: the whole system on this machine, for a person to try.
//
//   Synapse        scripts/homeserver.mjs (SQLite), data in <state>/synapse
//   backup proxy   the Worker (wasm/backupproxy) under workerd via miniflare,
//                  in front of Synapse, its D1 databases in <state>/d1
//   page           scripts/serve.mjs: the web page (web/, Go + dom/v2) whose
//                  default homeserver is the backup proxy
//   demo users     alice and bob, an encrypted room "Demo room" with both and
//                  the bot, made on the first run
//   bot            scripts/demo-bot.mjs (mx.connect in Node) answers messages
//
// State is kept in .state/demo (git-ignored) between runs: the same users,
// room, ports and keys. Ctrl-C stops every process this started, by PID.
//
//   node scripts/demo.mjs [--state DIR] [--port P]   (P: the page; 0 = free ports for everything)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, startHomeserver } from './homeserver.mjs';
import { startPageServer } from './serve.mjs';
import { buildWorker, startWorker } from './worker.mjs';

const t0 = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// miniflare hands workerd the D1 directory relative to the working
// directory, which workerd refuses when that climbs out of it (cwd /): run
// from the repository, as npm start does.
process.chdir(root);
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const stateDir = resolve(opt('state') ?? process.env.MXCRYPTO_DEMO_STATE ?? join(root, '.state', 'demo'));
mkdirSync(stateDir, { recursive: true });
const statePath = join(stateDir, 'demo.json');
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
const say = (m) => console.log(`demo: ${m}`);
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// Ports: kept in the state so the page's saved sessions keep working across
// runs; --port 0 (tests) takes free ones every time.
async function port(name, preferred) {
  if (opt('port') === '0') return freePort();
  if (!state.ports?.[name]) {
    state.ports ??= {};
    state.ports[name] = (await portFree(preferred)) ? preferred : await freePort();
    save();
  }
  return state.ports[name];
}
async function portFree(p) {
  const { createServer } = await import('node:net');
  return new Promise((r) => { const s = createServer(); s.once('error', () => r(false)); s.listen(p, '127.0.0.1', () => s.close(() => r(true))); });
}

const stops = []; // run in reverse on exit
let exiting = false;
async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  say('stopping…');
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(`demo: ${e.message}`));
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

try {
  const pagePort = opt('port') && opt('port') !== '0' ? Number(opt('port')) : await port('page', 8080);
  const hs = await startHomeserver({ dir: join(stateDir, 'synapse'), port: await port('synapse', 8008) });
  stops.push(() => hs.stop());
  say(`Synapse at ${hs.baseUrl} (pid ${hs.pid}), ${elapsed()}`);

  buildWorker({ quiet: true });
  const d1 = join(stateDir, 'd1');
  const worker = await startWorker({ upstreamUrl: hs.baseUrl, port: await port('worker', 8009), persistDir: d1, migrate: !state.d1Migrated });
  stops.push(() => worker.stop());
  if (!state.d1Migrated) { state.d1Migrated = true; save(); }
  say(`backup proxy (Worker, workerd pid ${worker.workerdPids().join(',')}) at ${worker.url}, ${elapsed()}`);

  const page = await startPageServer({ port: pagePort, homeserverUrl: worker.url });
  stops.push(() => page.close());

  if (!state.users) await firstRun(hs);
  else say('users and room from the last run (state in ' + stateDir + ')');

  const bot = await startBot(worker.url);
  stops.push(bot.stop);
  say(`bot ${state.users.bot.userId} (pid ${bot.pid}, device ${bot.deviceId}) is answering in "Demo room", ${elapsed()}`);

  console.log(`
  mxcrypto demo is running: open ${page.url}

    homeserver (through the backup proxy)  ${worker.url}
    alice  password ${state.users.alice.password}
    bob    password ${state.users.bob.password}
    (use two browsers or a private window for the second user)

  Both are in the encrypted room "Demo room" with a bot that answers.
  Ready in ${elapsed()}. State: ${stateDir}. Ctrl-C stops everything.
`);
} catch (e) {
  console.error(`demo: ${e.stack ?? e.message}`);
  await shutdown(1);
}

/** Registers alice, bob and the bot, and makes the encrypted room. */
async function firstRun(hs) {
  const pw = (who) => `${who}-${randomBytes(4).toString('hex')}`;
  const users = {};
  for (const who of ['alice', 'bob', 'bot']) users[who] = await hs.registerUser(who, { password: pw(who) });
  const api = async (token, method, path, body) => {
    const r = await fetch(`${hs.baseUrl}/_matrix/client/v3${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const { room_id: roomId } = await api(users.alice.accessToken, 'POST', '/createRoom', {
    name: 'Demo room', preset: 'private_chat', invite: [users.bob.userId, users.bot.userId],
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await api(users.bob.accessToken, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
  // The registrations' own devices hold no keys: log them out, so room keys
  // go only to the devices people and the bot sign in with.
  for (const who of ['alice', 'bob']) await api(users[who].accessToken, 'POST', '/logout', {});
  const bot = await hs.login('bot', users.bot.password, {});
  await api(users.bot.accessToken, 'POST', '/logout', {});
  state.users = {
    alice: { userId: users.alice.userId, password: users.alice.password },
    bob: { userId: users.bob.userId, password: users.bob.password },
    bot: { userId: users.bot.userId, password: users.bot.password, accessToken: bot.accessToken, deviceId: bot.deviceId, passphrase: randomBytes(16).toString('hex') },
  };
  state.roomId = roomId;
  save();
  say(`registered alice, bob and the bot; encrypted room ${roomId}`);
}

/** Starts scripts/demo-bot.mjs; resolves once it says it is ready. */
function startBot(homeserverUrl) {
  const b = state.users.bot;
  const storeDir = join(stateDir, 'bot-keys');
  mkdirSync(storeDir, { recursive: true });
  const child = spawn(process.execPath, [join(root, 'scripts', 'demo-bot.mjs')], {
    env: { ...process.env, MXCRYPTO_BOT: JSON.stringify({ homeserverUrl, accessToken: b.accessToken, storeDir, passphrase: b.passphrase }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((resolveReady, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^ready (\S+)/.exec(line);
        if (m) {
          resolveReady({
            pid: child.pid, deviceId: m[1],
            stop: async () => { if (child.exitCode === null) { child.kill('SIGTERM'); const t = setTimeout(() => child.kill('SIGKILL'), 5000); await exited; clearTimeout(t); } },
          });
        } else if (line) console.log(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`the demo bot exited (${code}) before it was ready`)));
  });
}
