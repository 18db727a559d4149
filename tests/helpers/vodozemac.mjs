// vodozemac as an interop peer, through its Python bindings (PyPI
// `vodozemac`), running tests/python/vodozemac_peer.py in a child process
// that speaks JSON lines.
//
// ensureVodozemac() makes the git-ignored virtualenv .venv/ at the repository
// root (python3 -m venv .venv) and installs the pinned version into it, each
// step only when needed, printing what it does on stderr. Network access to
// PyPI is needed the first time only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { messageRatchetKey } from './olm-state.mjs';

export const VODOZEMAC_VERSION = '0.10.0';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VENV = path.join(ROOT, '.venv');
const VENV_PYTHON = process.platform === 'win32' ? path.join(VENV, 'Scripts', 'python.exe') : path.join(VENV, 'bin', 'python');
const PEER_SCRIPT = path.join(ROOT, 'tests', 'python', 'vodozemac_peer.py');

function log(message) {
  process.stderr.write(`[vodozemac] ${message}\n`);
}

function run(command, args) {
  const shown = [command, ...args].map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) || '.' : a));
  log(`$ ${shown.join(' ')}`);
  // Child output goes to stderr, so it never mixes with the test runner's stdout.
  const r = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.error) throw new Error(`could not run ${command}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** The vodozemac version installed in .venv/, or null. */
function installedVersion() {
  if (!existsSync(VENV_PYTHON)) return null;
  const r = spawnSync(VENV_PYTHON, ['-c', 'import importlib.metadata as m, vodozemac; print(m.version("vodozemac"))'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function systemPython() {
  for (const candidate of ['python3', 'python']) {
    const r = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  throw new Error('no python3 on PATH: the vodozemac interop tests need Python 3 (a vodozemac 0.10.0 wheel exists for CPython 3.11 on manylinux)');
}

let ensured;
/**
 * Make sure .venv/ exists and holds vodozemac==VODOZEMAC_VERSION; returns the
 * venv's python. Does nothing (and prints nothing) when that is already so.
 */
export function ensureVodozemac() {
  if (ensured) return ensured;
  const found = installedVersion();
  if (found !== VODOZEMAC_VERSION) {
    if (!existsSync(VENV_PYTHON)) {
      log('creating the virtualenv .venv/ (git-ignored) for the vodozemac interop tests');
      run(systemPython(), ['-m', 'venv', VENV]);
    } else {
      log(found ? `.venv/ has vodozemac ${found}; installing ${VODOZEMAC_VERSION}` : '.venv/ exists but has no vodozemac');
    }
    log(`installing vodozemac==${VODOZEMAC_VERSION} from PyPI into .venv/`);
    run(VENV_PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', `vodozemac==${VODOZEMAC_VERSION}`]);
    const now = installedVersion();
    if (now !== VODOZEMAC_VERSION) {
      throw new Error(`vodozemac ${VODOZEMAC_VERSION} is still not importable from .venv/ (found ${now}); delete .venv/ and retry`);
    }
    log(`vodozemac ${now} is ready`);
  }
  ensured = VENV_PYTHON;
  return ensured;
}

/** A running vodozemac_peer.py. call(cmd, args) resolves to the command's result. */
export class VodozemacProcess {
  #proc;
  #pending = new Map();
  #nextId = 1;
  #exited = null;

  static async start() {
    const p = new VodozemacProcess(ensureVodozemac());
    const { vodozemac } = await p.call('ping');
    if (vodozemac !== VODOZEMAC_VERSION) throw new Error(`peer runs vodozemac ${vodozemac}, expected ${VODOZEMAC_VERSION}`);
    return p;
  }

  constructor(python) {
    this.#proc = spawn(python, ['-u', '-B', PEER_SCRIPT], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: this.#proc.stdout });
    lines.on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        process.stderr.write(`[vodozemac] unexpected output: ${line}\n`);
        return;
      }
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else {
        const err = new Error(`vodozemac ${waiter.cmd}: ${msg.error.type}: ${msg.error.message}`);
        err.pyType = msg.error.type;
        waiter.reject(err);
      }
    });
    const fail = (why) => {
      this.#exited = why;
      for (const { reject, cmd } of this.#pending.values()) reject(new Error(`vodozemac ${cmd}: ${why}`));
      this.#pending.clear();
    };
    this.#proc.on('error', (e) => fail(`peer process error: ${e.message}`));
    this.#proc.on('exit', (code, signal) => fail(`peer process exited (${code ?? signal})`));
  }

  call(cmd, args = {}) {
    if (this.#exited) return Promise.reject(new Error(`vodozemac ${cmd}: ${this.#exited}`));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject, cmd });
      this.#proc.stdin.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  }

  async close() {
    if (this.#exited) return;
    const exit = once(this.#proc, 'exit');
    this.#proc.stdin.end();
    await exit;
  }
}

/** Conversation adapter (see olm-conversation.mjs) for a vodozemac Olm session handle. */
export function vodozemacPeer(vz, session, name = 'vodozemac') {
  return {
    name,
    session,
    encrypt: (plaintext) => vz.call('session_encrypt', { session, plaintext }),
    decrypt: (message) => vz.call('session_decrypt', { session, message: { type: message.type, body: message.body } }),
  };
}

const MAX_RECEIVER_CHAINS = 5; // libolm's, ours and vodozemac's

/**
 * Conversation adapter for a vodozemac session made by
 * Session.from_libolm_pickle, given the pickle's receiver chains (their
 * ratchet keys, in pickle order), which knows what vodozemac gets wrong after
 * such an import.
 *
 * libolm pickles receiver chains newest first and, on a new chain, drops the
 * last (oldest). vodozemac 0.10.0 (and its main branch at cfc4eee, August 2026)
 * keeps its chains oldest first and drops the first when a sixth arrives, but
 * loads the pickled list without reversing it. So once it holds five chains,
 * each new chain pushes out the newest imported chain still held instead of
 * the oldest, and a late message on that chain is refused as a bad MAC (taken
 * for a new chain), where libolm would decrypt it.
 *
 * The adapter tracks both implementations' chains by ratchet key:
 * expectRefusal(msg) describes the refusal when the message is on a chain
 * libolm would hold and vodozemac no longer does, and is null otherwise;
 * then the message must decrypt.
 */
export function vodozemacLibolmImportPeer(vz, session, receiverChainKeys, name = 'vodozemac(libolm import)') {
  const base = vodozemacPeer(vz, session, name);
  const vzChains = [...receiverChainKeys]; // as vodozemac holds them: [0] is dropped first
  const libolmChains = [...receiverChainKeys]; // newest first: the last is dropped first
  return {
    ...base,
    expectRefusal(message) {
      const key = messageRatchetKey(message);
      if (vzChains.includes(key) || !libolmChains.includes(key)) return null;
      return {
        error: /OlmDecryptionException: .*invalid MAC/,
        why: `vodozemac has dropped chain ${key}, which libolm would still hold (${libolmChains.indexOf(key) + 1} of ${libolmChains.length}, newest first)`,
      };
    },
    async decrypt(message) {
      const plaintext = await base.decrypt(message);
      const key = messageRatchetKey(message);
      if (!vzChains.includes(key)) {
        if (vzChains.length === MAX_RECEIVER_CHAINS) vzChains.shift();
        vzChains.push(key);
      }
      if (!libolmChains.includes(key)) {
        libolmChains.unshift(key);
        libolmChains.length = Math.min(libolmChains.length, MAX_RECEIVER_CHAINS);
      }
      return plaintext;
    },
  };
}
