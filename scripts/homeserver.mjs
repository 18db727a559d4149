// A throwaway Synapse for the tests, the demo and local development: installs
// the pinned matrix-synapse from PyPI into a git-ignored virtualenv, writes a
// test config (SQLite, 127.0.0.1 on a free port, shared-secret registration,
// relaxed rate limits, no sync response cache, no federation), starts it,
// registers users through the shared-secret admin API and stops it by PID.
//
// As a module:
//   import { startHomeserver } from './scripts/homeserver.mjs';
//   const hs = await startHomeserver();            // { dir?, port?, keep?, log? }
//   const alice = await hs.registerUser('alice');  // { userId, accessToken, deviceId, password }
//   const again = await hs.login('alice', alice.password, { deviceId: 'PHONE' });
//   await hs.stop();
//
// As a command:
//   node scripts/homeserver.mjs install                  # only make the venv
//   node scripts/homeserver.mjs start [--dir D] [--port P] [--users alice,bob]
//        prints one JSON line { baseUrl, pid, dir, users } and runs until Ctrl-C.
//
// MXCRYPTO_SYNAPSE_VENV=/path/to/venv uses an existing venv that already holds
// the pinned version (read-only use); otherwise the venv is .venv-synapse/ at
// the repository root, made on first use (about 70 s from an empty pip cache).
// Synapse is killed (and a temporary data directory removed) when this
// process exits, and by the kernel if this process is killed outright.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYNAPSE_VERSION = '1.163.2';
export const SERVER_NAME = 'localhost';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_VENV = path.join(ROOT, '.venv-synapse');

function log(message) {
  process.stderr.write(`[homeserver] ${message}\n`);
}

/** The venv this process uses: MXCRYPTO_SYNAPSE_VENV when set, else .venv-synapse/. */
export function venvDir() {
  return process.env.MXCRYPTO_SYNAPSE_VENV || DEFAULT_VENV;
}

function venvPython(venv = venvDir()) {
  return path.join(venv, 'bin', 'python');
}

function installedVersion(venv) {
  if (!existsSync(venvPython(venv))) return null;
  const r = spawnSync(venvPython(venv), ['-c', 'import importlib.metadata as m; print(m.version("matrix-synapse"))'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function run(command, args) {
  log(`$ ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.error) throw new Error(`could not run ${command}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

let ensured;
/**
 * Makes sure the venv holds matrix-synapse==SYNAPSE_VERSION and returns its
 * python. Quiet and quick when it already does. A venv named by
 * MXCRYPTO_SYNAPSE_VENV is never modified: a wrong version there is an error.
 */
export function ensureSynapse() {
  if (ensured) return ensured;
  const venv = venvDir();
  const found = installedVersion(venv);
  if (found !== SYNAPSE_VERSION) {
    if (process.env.MXCRYPTO_SYNAPSE_VENV) {
      throw new Error(`MXCRYPTO_SYNAPSE_VENV=${venv} has matrix-synapse ${found ?? 'missing'}, need ${SYNAPSE_VERSION}`);
    }
    if (!existsSync(venvPython(venv))) {
      log(`creating the virtualenv ${path.relative(ROOT, venv)}/ (git-ignored) for Synapse`);
      run('python3', ['-m', 'venv', venv]);
    }
    log(`installing matrix-synapse==${SYNAPSE_VERSION} from PyPI (about a minute the first time)`);
    run(venvPython(venv), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', `matrix-synapse==${SYNAPSE_VERSION}`]);
    const now = installedVersion(venv);
    if (now !== SYNAPSE_VERSION) throw new Error(`matrix-synapse ${SYNAPSE_VERSION} is still not importable from ${venv} (found ${now})`);
  }
  ensured = venvPython(venv);
  return ensured;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const unpaddedB64 = (bytes) => Buffer.from(bytes).toString('base64').replace(/=+$/, '');

// A generous limit for every rate limiter Synapse has: the tests log in,
// send and claim in bursts.
const RELAXED = { per_second: 10000, burst_count: 100000 };

function configYaml({ dir, port, secret }) {
  // JSON is YAML; one object keeps every option in one place.
  const config = {
    server_name: SERVER_NAME,
    public_baseurl: `http://127.0.0.1:${port}/`,
    pid_file: path.join(dir, 'homeserver.pid'),
    listeners: [{ port, bind_addresses: ['127.0.0.1'], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client'], compress: false }] }],
    database: { name: 'sqlite3', args: { database: path.join(dir, 'homeserver.db') } },
    log_config: path.join(dir, 'log.yaml'),
    media_store_path: path.join(dir, 'media_store'),
    signing_key_path: path.join(dir, 'signing.key'),
    registration_shared_secret: secret,
    macaroon_secret_key: unpaddedB64(randomBytes(32)),
    form_secret: unpaddedB64(randomBytes(32)),
    report_stats: false,
    enable_registration: false,
    // Passwords of throwaway test users: cheap hashing keeps registration and login fast.
    bcrypt_rounds: 4,
    // No federation: no key servers, no outbound federation, no federation listener.
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    presence: { enabled: false },
    url_preview_enabled: false,
    enable_metrics: false,
    // Otherwise a repeated /sync within the cache window returns stale one-time key counts.
    caches: { sync_response_cache_duration: 0 },
    rc_message: RELAXED,
    rc_registration: RELAXED,
    rc_registration_token_validity: RELAXED,
    rc_login: { address: RELAXED, account: RELAXED, failed_attempts: RELAXED },
    rc_admin_redaction: RELAXED,
    rc_joins: { local: RELAXED, remote: RELAXED },
    rc_joins_per_room: RELAXED,
    rc_3pid_validation: RELAXED,
    rc_invites: { per_room: RELAXED, per_user: RELAXED, per_issuer: RELAXED },
    rc_third_party_invite: RELAXED,
    rc_key_requests: RELAXED,
    rc_presence: { per_user: RELAXED },
    rc_delayed_event_mgmt: RELAXED,
    rc_room_creation: RELAXED,
    rc_reports: RELAXED,
  };
  return JSON.stringify(config, null, 2);
}

function logConfigYaml(dir) {
  return JSON.stringify({
    version: 1,
    formatters: { precise: { format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s' } },
    handlers: { file: { class: 'logging.FileHandler', formatter: 'precise', filename: path.join(dir, 'homeserver.log'), encoding: 'utf8' } },
    loggers: { 'synapse.storage.SQL': { level: 'WARNING' }, twisted: { level: 'WARNING' } },
    root: { level: 'INFO', handlers: ['file'] },
    disable_existing_loggers: false,
  }, null, 2);
}

// The child sets PR_SET_PDEATHSIG so the kernel kills Synapse if this Node
// process dies without running its exit handlers (SIGKILL, crash), then runs
// Synapse's main module in the same process (so its PID is the one we kill).
const LAUNCHER = `
import ctypes, runpy, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
except Exception:
    pass
sys.argv = ['synapse.app.homeserver'] + sys.argv[1:]
runpy.run_module('synapse.app.homeserver', run_name='__main__', alter_sys=True)
`;

// A fresh SQLite database takes Synapse a few seconds to create (its whole
// schema). The first cold start saves a snapshot of the empty database,
// taken with SQLite's online backup API, and later fresh starts copy it.
// MXCRYPTO_SYNAPSE_TEMPLATE=0 turns this off.
const TEMPLATE_DB = path.join(tmpdir(), `mxcrypto-synapse-${SYNAPSE_VERSION}-empty.db`);
const useTemplate = () => process.env.MXCRYPTO_SYNAPSE_TEMPLATE !== '0';

function saveTemplate(python, dbPath) {
  const tmp = `${TEMPLATE_DB}.${process.pid}.tmp`;
  const r = spawnSync(python, ['-c', 'import sqlite3, sys; d = sqlite3.connect(sys.argv[2]); sqlite3.connect(sys.argv[1]).backup(d); d.close()', dbPath, tmp], { stdio: 'ignore' });
  if (r.status === 0) renameSync(tmp, TEMPLATE_DB); // atomic: readers see all of it or nothing
  else rmSync(tmp, { force: true });
}

const running = new Set();
/** Temporary data directories still in use: removed on exit if stop() never ran. */
const temporaryDirs = new Set();
let exitHooked = false;
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  // 'exit' handlers must be synchronous: a SIGKILL by PID is.
  process.on('exit', () => {
    for (const pid of running) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      // Let process.on('exit') kill the children, then die of the same signal's code.
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[signal]);
    });
  }
}

async function waitForVersions(baseUrl, child, deadlineMs, logPath) {
  const until = Date.now() + deadlineMs;
  let exited = null;
  child.once('exit', (code, signal) => { exited = code ?? signal; });
  for (;;) {
    if (exited !== null) throw new Error(`Synapse exited (${exited}) before it answered; see ${logPath}`);
    try {
      const res = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`Synapse did not answer /_matrix/client/versions within ${deadlineMs} ms; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function postJson(url, body, { token } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(`POST ${new URL(url).pathname} → ${res.status} ${json.errcode ?? ''} ${json.error ?? ''}`.trim());
    err.status = res.status;
    err.body = json;
    throw err;
  }
  return json;
}

/**
 * Starts a Synapse and resolves once it answers /_matrix/client/versions.
 * dir: its data directory (kept, so a second start there is a warm start);
 * without it a fresh temporary one is used and removed by stop() unless keep.
 * port: default a free one. startTimeoutMs: default 120 s.
 */
export async function startHomeserver({ dir, port, keep = false, startTimeoutMs = 120000 } = {}) {
  const python = ensureSynapse();
  const temporary = !dir;
  dir = dir ? path.resolve(dir) : mkdtempSync(path.join(tmpdir(), 'mxcrypto-synapse-'));
  if (temporary && !keep) temporaryDirs.add(dir);
  mkdirSync(path.join(dir, 'media_store'), { recursive: true });
  port ??= await freePort();
  const secretPath = path.join(dir, 'shared-secret');
  let secret;
  if (existsSync(secretPath)) {
    secret = readFileSync(secretPath, 'utf8').trim();
  } else {
    secret = unpaddedB64(randomBytes(32));
    writeFileSync(secretPath, secret, { mode: 0o600 });
  }
  const keyPath = path.join(dir, 'signing.key');
  if (!existsSync(keyPath)) {
    // Synapse's key file format: "<algorithm> <version> <unpadded base64 seed>".
    writeFileSync(keyPath, `ed25519 a_${randomBytes(3).toString('hex')} ${unpaddedB64(randomBytes(32))}\n`, { mode: 0o600 });
  }
  const configPath = path.join(dir, 'homeserver.yaml');
  writeFileSync(configPath, configYaml({ dir, port, secret }));
  writeFileSync(path.join(dir, 'log.yaml'), logConfigYaml(dir));
  const logPath = path.join(dir, 'homeserver.log');
  const dbPath = path.join(dir, 'homeserver.db');
  const fromTemplate = !existsSync(dbPath) && useTemplate() && existsSync(TEMPLATE_DB);
  if (fromTemplate) copyFileSync(TEMPLATE_DB, dbPath);
  const cold = !existsSync(dbPath);
  // stdout/stderr (startup errors before logging is set up) go to a file too.
  const outFd = openSync(path.join(dir, 'stdio.log'), 'a');

  hookExit();
  const started = performance.now();
  const child = spawn(python, ['-c', LAUNCHER, '--config-path', configPath], {
    cwd: dir,
    stdio: ['ignore', outFd, outFd],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', SYNAPSE_ASYNC_IO_REACTOR: '0' },
  });
  closeSync(outFd);
  running.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { running.delete(child.pid); resolve(code ?? signal); }));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForVersions(baseUrl, child, startTimeoutMs, logPath);
  } catch (e) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    await exited;
    if (temporary && !keep) {
      rmSync(dir, { recursive: true, force: true });
      temporaryDirs.delete(dir);
    }
    throw e;
  }
  const startMs = Math.round(performance.now() - started);
  if (cold && useTemplate() && !existsSync(TEMPLATE_DB)) saveTemplate(python, dbPath);

  let stopped;
  const hs = {
    baseUrl,
    serverName: SERVER_NAME,
    port,
    pid: child.pid,
    dir,
    logPath,
    startMs,
    /** Fully qualified user id for a localpart. */
    userId: (localpart) => `@${localpart}:${SERVER_NAME}`,
    /**
     * Registers a user through the shared-secret admin API
     * (POST /_synapse/admin/v1/register) and returns its first login.
     */
    async registerUser(localpart, { password = `pw-${localpart}-${randomBytes(6).toString('hex')}`, admin = false } = {}) {
      const url = `${baseUrl}/_synapse/admin/v1/register`;
      const { nonce } = await (await fetch(url, { signal: AbortSignal.timeout(30000) })).json();
      const mac = createHmac('sha1', secret)
        .update(`${nonce}\0${localpart}\0${password}\0${admin ? 'admin' : 'notadmin'}`)
        .digest('hex');
      const r = await postJson(url, { nonce, username: localpart, password, admin, mac });
      return { userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id, password };
    },
    /** A new login (a new device unless deviceId names an existing one of this user). */
    async login(localpartOrUserId, password, { deviceId } = {}) {
      const user = localpartOrUserId.startsWith('@') ? localpartOrUserId : `@${localpartOrUserId}:${SERVER_NAME}`;
      const r = await postJson(`${baseUrl}/_matrix/client/v3/login`, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user },
        password,
        ...(deviceId ? { device_id: deviceId } : {}),
      });
      return { userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id, password };
    },
    /** SIGTERM, then SIGKILL after graceMs; removes a temporary dir unless keep. Idempotent. */
    stop({ graceMs = 5000 } = {}) {
      stopped ??= (async () => {
        if (running.has(child.pid)) {
          try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
          const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
          await exited;
          clearTimeout(timer);
        }
        if (temporary && !keep) {
          rmSync(dir, { recursive: true, force: true });
          temporaryDirs.delete(dir);
        }
      })();
      return stopped;
    },
  };
  return hs;
}

/** Copies a stopped homeserver's directory (for a warm start from a prepared state). */
export function copyHomeserverDir(from, to) {
  cpSync(from, to, { recursive: true });
}

async function main(argv) {
  const [command = 'start', ...rest] = argv;
  const opt = (name) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === 'install') {
    const python = ensureSynapse();
    log(`matrix-synapse ${SYNAPSE_VERSION} ready: ${python}`);
    return;
  }
  if (command !== 'start') {
    console.error('usage: node scripts/homeserver.mjs install | start [--dir D] [--port P] [--users alice,bob]');
    process.exit(2);
  }
  const hs = await startHomeserver({ dir: opt('dir'), port: opt('port') ? Number(opt('port')) : undefined });
  const users = {};
  for (const name of (opt('users') ?? '').split(',').filter(Boolean)) users[name] = await hs.registerUser(name);
  console.log(JSON.stringify({ baseUrl: hs.baseUrl, pid: hs.pid, dir: hs.dir, startMs: hs.startMs, users }));
  log(`Synapse ${SYNAPSE_VERSION} at ${hs.baseUrl} (pid ${hs.pid}, log ${hs.logPath}); Ctrl-C stops it`);
  setInterval(() => {}, 1 << 30); // until a signal: hookExit kills Synapse
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
