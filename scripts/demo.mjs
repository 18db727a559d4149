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
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { setUpDemo, startBot } from './demo-setup.mjs';
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
// Ctrl-C: stop each process in turn (Synapse gracefully, then its exit
// hook's SIGKILL is a backstop only). startHomeserver installs handlers that
// exit at once (and miniflare's may too), which would orphan the bot: this
// script's replace them once everything is started.
function onSignals() {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.removeAllListeners(sig);
    process.on(sig, () => shutdown(0));
  }
}
onSignals();

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

  if (!state.users) {
    Object.assign(state, await setUpDemo(hs));
    save();
    say(`registered alice, bob and the bot; encrypted room ${state.roomId}`);
  } else say('users and room from the last run (state in ' + stateDir + ')');

  const bot = await startBot({ homeserverUrl: worker.url, bot: state.users.bot, storeDir: join(stateDir, 'bot-keys'), log: console.log });
  stops.push(bot.stop);
  onSignals(); // after everything that installs its own (startHomeserver, miniflare)
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

