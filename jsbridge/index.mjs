// mxcrypto loader: instantiates the Go WebAssembly module and exposes its
// promise-based API. Works in Node ≥ 20, browsers and Workers.
//
// The Go program can end (os.Exit, or a fatal runtime error). When it does,
// the calls still in flight reject with code INSTANCE_EXITED and the next call
// starts a fresh instance from the already compiled module.

import { mxError } from './common.mjs';
import { megolmApi } from './megolm.mjs';
import { olmApi } from './olm.mjs';

// The build rewrites these two lines for the copy in dist/.
const DEFAULT_WASM_URL = new URL('../dist/mxcrypto.wasm', import.meta.url);
const WASM_EXEC_URL = new URL('../dist/wasm_exec.js', import.meta.url);

/** Error codes raised by the loader itself (the Go side raises the rest). */
const LOADER_CODES = { BAD_INPUT: 'BAD_INPUT', INSTANCE_EXITED: 'INSTANCE_EXITED', NOT_LOADED: 'NOT_LOADED' };


const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const subtle = globalThis.crypto?.subtle;

let readySeq = 0;

/**
 * Load the module and resolve to the API object.
 * @param {{ wasm?: string | URL | Uint8Array | ArrayBuffer | Response | WebAssembly.Module, webCrypto?: boolean }} [options]
 *   webCrypto: false makes every operation run in Go (for tests and benchmarks).
 */
export async function init(options = {}) {
  const module = await compile(options.wasm ?? DEFAULT_WASM_URL);
  if (!globalThis.Go) await import(WASM_EXEC_URL.href);
  if (!globalThis.Go) throw mxError(LOADER_CODES.NOT_LOADED, 'the Go wasm runtime (wasm_exec.js) did not load; run `npm run build` first');
  const runtime = new Runtime(module);
  runtime.subtle = options.webCrypto === false ? undefined : subtle;
  await runtime.ensure();
  return buildApi(runtime);
}

async function compile(source) {
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) return await WebAssembly.compile(source);
    // Duck-typed: in Node, merely touching the global Response loads undici (~15 ms).
    if (typeof source?.arrayBuffer === 'function' && typeof source?.headers === 'object') {
      return await WebAssembly.compile(await source.arrayBuffer());
    }
    let url = source;
    if (typeof source === 'string') {
      url = /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source) ? new URL(source) : null;
      if (!url) {
        if (isNode) {
          const { readFile } = await import('node:fs/promises');
          return await WebAssembly.compile(await readFile(source));
        }
        url = new URL(source, globalThis.location?.href);
      }
    }
    if (url instanceof URL) {
      if (url.protocol === 'file:' && isNode) {
        const { readFile } = await import('node:fs/promises');
        return await WebAssembly.compile(await readFile(url));
      }
      return await WebAssembly.compile(await (await fetch(url)).arrayBuffer());
    }
  } catch (e) {
    throw mxError(LOADER_CODES.NOT_LOADED, `cannot load the mxcrypto wasm module from ${String(source)}: ${e.message} (did you run \`npm run build\`?)`, e);
  }
  throw mxError(LOADER_CODES.BAD_INPUT, 'options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module');
}

/** One Go program at a time; restarted on demand after it exits. */
class Runtime {
  constructor(module) {
    this.module = module;
    this.current = null; // { api, pending: Set, dead }
    this.starting = null;
  }

  async ensure() {
    if (this.current && !this.current.dead) return this.current;
    if (!this.starting) this.starting = this.start().finally(() => { this.starting = null; });
    return this.starting;
  }

  async start() {
    const go = new globalThis.Go();
    const readyName = `__mxcryptoReady${++readySeq}_${Math.random().toString(36).slice(2)}`;
    go.argv = ['mxcrypto', readyName];
    go.env = {};
    let exitCode = null;
    go.exit = (code) => { exitCode = code; };
    const instance = await WebAssembly.instantiate(this.module, go.importObject);
    const inst = { go, api: null, pending: new Set(), dead: false };
    const ready = new Promise((resolve) => { globalThis[readyName] = resolve; });
    const exited = go.run(instance).then(
      () => this.onExit(inst, `the Go program exited with code ${exitCode}`),
      (e) => this.onExit(inst, `the Go program crashed: ${e?.message ?? e}`),
    );
    try {
      inst.api = await Promise.race([ready, exited.then(() => { throw mxError(LOADER_CODES.NOT_LOADED, 'mxcrypto exited during start-up'); })]);
    } finally {
      delete globalThis[readyName];
    }
    this.current = inst;
    return inst;
  }

  onExit(inst, why) {
    if (inst.dead) return;
    inst.dead = true;
    if (this.current === inst) this.current = null;
    // Timers the program had set would otherwise resume a dead instance.
    for (const t of inst.go._scheduledTimeouts.values()) clearTimeout(t);
    inst.go._scheduledTimeouts.clear();
    inst.go._resume = () => {};
    const err = () => mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped while this call was running (${why}); the next call starts a new instance`);
    for (const p of inst.pending) p.reject(err());
    inst.pending.clear();
  }

  /**
   * Call the Go export at `path` (e.g. "backup.decrypt"). With a live
   * instance the arguments are read before this returns, as a caller expects
   * of any function; during a restart, byte arguments are copied first.
   */
  call(path, args) {
    const inst = this.current;
    if (inst && !inst.dead) return this.invoke(inst, path, args);
    const copied = args.map((a) => (a instanceof Uint8Array ? a.slice() : a));
    return this.ensure().then((i) => this.invoke(i, path, copied));
  }

  invoke(inst, path, args) {
    let fn = inst.api;
    for (const part of path.split('.')) fn = fn?.[part];
    if (typeof fn !== 'function') return Promise.reject(mxError('INTERNAL', `mxcrypto export ${path} is missing: loader and wasm module do not match (rebuild)`));
    return new Promise((resolve, reject) => {
      const entry = { reject };
      inst.pending.add(entry);
      const settle = (f) => (v) => { if (inst.pending.delete(entry)) f(v); };
      let p;
      try {
        p = fn(...args);
      } catch (e) {
        // A trap inside Go (or a call into an exited program) lands here.
        this.onExit(inst, `the wasm instance failed: ${e?.message ?? e}`);
        if (inst.pending.delete(entry)) reject(mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped during ${path}: ${e?.message ?? e}; the next call starts a new instance`, e));
        return;
      }
      p.then(settle(resolve), settle(reject));
    });
  }
}

function buildApi(rt) {
  const call = (path) => (...args) => rt.call(path, args);
  return {
    recoveryKey: {
      encode: call('recoveryKey.encode'),
      decode: call('recoveryKey.decode'),
    },
    passphrase: {
      deriveKey: (passphrase, salt, iterations, bits = 256) => deriveKey(rt, passphrase, salt, iterations, bits),
    },
    secretStorage: {
      createKey: (opts = {}) => createSecretStorageKey(rt, opts),
      checkKey: call('secretStorage.checkKey'),
      encrypt: call('secretStorage.encrypt'),
      decrypt: call('secretStorage.decrypt'),
      encryptCurve25519: call('secretStorage.encryptCurve25519'),
      decryptCurve25519: call('secretStorage.decryptCurve25519'),
    },
    backup: {
      createKey: call('backup.createKey'),
      publicKey: call('backup.publicKey'),
      encrypt: (publicKey, sessionData) => encryptForBackup(rt, publicKey, sessionData),
      decrypt: call('backup.decrypt'),
      decryptMany: (privateKey, roomKeys, opts = {}) => decryptMany(rt, privateKey, roomKeys, opts),
    },
    olm: olmApi(rt),
    megolm: megolmApi(rt),
    canonicalJSON: signedJSONInput(call('canonicalJSON'), 'canonicalJSON'),
    signing: {
      verify: signedJSONInput(call('signing.verify'), 'signing.verify'),
    },
    /** Internal: failure injection for tests. */
    _debug: {
      panic: call('_debug.panic'),
      exit: call('_debug.exit'),
      sleep: call('_debug.sleep'),
    },
  };
}

// JSON.stringify turns NaN and ±Infinity into null, which would make canonical
// JSON (and so a signature check) silently cover a different value. Refuse.
function signedJSONInput(fn, name) {
  return (value, ...rest) => {
    try {
      JSON.stringify(value, (_, v) => {
        if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${v} is not a JSON number`);
        return v;
      });
    } catch (e) {
      return Promise.reject(mxError('BAD_INPUT', `${name}: value cannot be serialised as JSON: ${e.message}`));
    }
    return fn(value, ...rest);
  };
}

// --- passphrases -----------------------------------------------------------

const utf8 = new TextEncoder();

// PBKDF2-SHA-512 runs natively in WebCrypto, several times faster than Go
// compiled to wasm; Go is the fallback for hosts without it.
async function deriveKey(rt, passphrase, salt, iterations, bits) {
  if (typeof passphrase !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: passphrase must be a string');
  if (typeof salt !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: salt must be a string');
  await rt.call('passphrase._checkParams', [iterations, bits]);
  if (rt.subtle) {
    try {
      const base = await rt.subtle.importKey('raw', utf8.encode(passphrase), 'PBKDF2', false, ['deriveBits']);
      const out = await rt.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: utf8.encode(salt), iterations }, base, bits);
      return new Uint8Array(out);
    } catch {
      // Fall through to Go (some hosts cap iterations or lack SHA-512).
    }
  }
  return rt.call('passphrase._deriveKey', [passphrase, salt, iterations, bits]);
}

async function createSecretStorageKey(rt, opts) {
  if (opts === null || typeof opts !== 'object') throw mxError('BAD_INPUT', 'secretStorage.createKey: options must be an object');
  const { passphrase, name, iterations } = opts;
  if (name !== undefined && typeof name !== 'string') throw mxError('BAD_INPUT', 'secretStorage.createKey: name must be a string');
  if (passphrase === undefined) return rt.call('secretStorage._createRandomKey', [name]);
  if (typeof passphrase !== 'string' || passphrase === '') throw mxError('BAD_INPUT', 'secretStorage.createKey: passphrase must be a non-empty string');
  const info = await rt.call('secretStorage._newPassphraseInfo', [iterations]);
  const key = await deriveKey(rt, passphrase, info.salt, info.iterations, info.bits);
  return rt.call('secretStorage._describeKey', [key, name, info]);
}

// --- bulk backup restore ---------------------------------------------------

const CHUNK = 512;
const PIPELINE_DEPTH = 4;
// Must match batchCodes in jsbridge/batch.go.
const BATCH_CODES = ['', 'WRONG_KEY', 'BAD_MESSAGE', 'BAD_INPUT', 'INTERNAL'];

let x25519Support;
/** Whether WebCrypto here does X25519 (Node ≥ 20, current browsers, Workers). */
function hasX25519() {
  x25519Support ??= (async () => {
    if (!subtle) return false;
    try {
      const base = new Uint8Array(32);
      base[0] = 9;
      await subtle.importKey('raw', base, { name: 'X25519' }, false, []);
      return true;
    } catch {
      return false;
    }
  })();
  return x25519Support;
}

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410), the only private
// key form WebCrypto imports for X25519.
const PKCS8_X25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];

async function decryptMany(rt, privateKey, roomKeys, opts) {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw mxError('BAD_INPUT', 'backup.decryptMany: privateKey must be a 32-byte Uint8Array');
  }
  if (roomKeys === null || typeof roomKeys !== 'object' || roomKeys.rooms === null || typeof roomKeys.rooms !== 'object') {
    throw mxError('BAD_INPUT', 'backup.decryptMany: roomKeys must be the body of GET /room_keys/keys ({ rooms: { ... } })');
  }
  privateKey = privateKey.slice(); // read now: the caller may reuse the buffer
  const onProgress = opts?.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw mxError('BAD_INPUT', 'backup.decryptMany: onProgress must be a function');
  if (!rt.subtle || !(await hasX25519())) return rt.call('backup._decryptMany', [privateKey, roomKeys, onProgress]);

  const priv = await subtle.importKey('pkcs8', new Uint8Array([...PKCS8_X25519_PREFIX, ...privateKey]), { name: 'X25519' }, false, ['deriveBits']);
  const entries = flatten(roomKeys.rooms);
  const sessions = [];
  const failures = [];
  const total = entries.length;
  // Pipeline: WebCrypto works on the next chunks (on its own threads) while
  // Go finishes the current one on this thread.
  const started = [];
  let nextStart = 0;
  const fill = () => {
    while (started.length < PIPELINE_DEPTH && nextStart < total) {
      started.push(startChunk(priv, entries.slice(nextStart, nextStart + CHUNK)));
      nextStart += CHUNK;
    }
  };
  fill();
  let done = 0;
  while (started.length) {
    const chunk = await started.shift();
    fill();
    await finishChunk(rt, chunk, sessions, failures);
    done += chunk.length;
    if (onProgress) onProgress(done, total);
  }
  return { sessions, failures };
}

// backup.encrypt: both X25519 operations (a fresh ephemeral key pair, the
// shared secret) in WebCrypto, the rest in Go. Anything unusual (a malformed
// key, no X25519 here) goes the all-Go way, which also gives the error.
const recipientKeys = new Map(); // public key text → CryptoKey (public data)
async function encryptForBackup(rt, publicKey, sessionData) {
  const pub = typeof publicKey === 'string' ? decodeBase64(publicKey) : null;
  if (!rt.subtle || !pub || pub.length !== 32 || sessionData === null || typeof sessionData !== 'object' || !(await hasX25519())) {
    return rt.call('backup.encrypt', [publicKey, sessionData]);
  }
  const subtle = rt.subtle;
  let recipient = recipientKeys.get(publicKey);
  if (!recipient) {
    recipient = await subtle.importKey('raw', pub, { name: 'X25519' }, false, []);
    if (recipientKeys.size > 64) recipientKeys.clear();
    recipientKeys.set(publicKey, recipient);
  }
  let shared, ephemeral;
  try {
    const eph = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: recipient }, eph.privateKey, 256));
    ephemeral = new Uint8Array(await subtle.exportKey('raw', eph.publicKey));
  } catch {
    return rt.call('backup.encrypt', [publicKey, sessionData]); // low-order key: Go explains
  }
  try {
    return await rt.call('backup._encryptShared', [shared, ephemeral, sessionData]);
  } finally {
    shared.fill(0);
  }
}

// Same checks and order as the Go path (backup.ParseRoomKeys).
function flatten(rooms) {
  const out = [];
  for (const roomId of Object.keys(rooms).sort(byCodePoints)) {
    const sessions = rooms[roomId]?.sessions;
    if (rooms[roomId] === null || typeof rooms[roomId] !== 'object' || sessions === null || typeof sessions !== 'object' || Array.isArray(sessions)) {
      throw mxError('BAD_INPUT', 'backup.decryptMany: roomKeys.rooms[room].sessions must be an object');
    }
    for (const sessionId of Object.keys(sessions).sort(byCodePoints)) {
      out.push({ roomId, sessionId, record: sessions[sessionId] });
    }
  }
  return out;
}

// Go sorts by UTF-8 bytes, which is code point order; JS's default sort is
// UTF-16 code unit order, which differs only when a string has a character
// above U+FFFF (surrogates, D800–DFFF) where another has one in E000–FFFF.
function byCodePoints(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

async function startChunk(priv, entries) {
  return Promise.all(entries.map(async (e) => {
    const data = e.record?.session_data;
    if (data === null || typeof data !== 'object' || typeof data.ephemeral !== 'string' || typeof data.ciphertext !== 'string' || typeof data.mac !== 'string') {
      return { ...e, code: 'BAD_INPUT' };
    }
    const eph = decodeBase64(data.ephemeral);
    const mac = decodeBase64(data.mac);
    const ct = decodeBase64(data.ciphertext);
    if (!eph || !mac || !ct) return { ...e, code: 'BAD_BASE64' };
    if (eph.length !== 32 || mac.length !== 8) return { ...e, code: 'BAD_INPUT' };
    try {
      const pub = await subtle.importKey('raw', eph, { name: 'X25519' }, false, []);
      const shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
      return { ...e, shared, mac, ct };
    } catch {
      return { ...e, code: 'BAD_MESSAGE' }; // low-order ephemeral key
    }
  }));
}

async function finishChunk(rt, chunk, sessions, failures) {
  const ready = chunk.filter((e) => !e.code);
  let size = 0;
  for (const e of ready) size += 44 + e.ct.length;
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const e of ready) {
    buf.set(e.shared, off);
    buf.set(e.mac, off + 32);
    view.setUint32(off + 40, e.ct.length, true);
    buf.set(e.ct, off + 44);
    off += 44 + e.ct.length;
    e.shared.fill(0);
  }
  const out = ready.length ? await rt.call('backup._decryptSharedBatch', [buf, ready.length]) : new Uint8Array(0);
  buf.fill(0);
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  off = 0;
  for (const e of ready) {
    const status = out[off];
    const len = outView.getUint32(off + 1, true);
    const pt = out.subarray(off + 5, off + 5 + len);
    off += 5 + len;
    if (status !== 0) {
      e.code = BATCH_CODES[status] ?? 'INTERNAL';
      continue;
    }
    try {
      const sessionData = JSON.parse(text.decode(pt));
      if (sessionData === null || typeof sessionData !== 'object' || Array.isArray(sessionData)) throw new Error('not an object');
      e.sessionData = sessionData;
    } catch {
      e.code = 'BAD_MESSAGE';
    }
    pt.fill(0);
  }
  for (const e of chunk) {
    if (e.code) failures.push({ roomId: e.roomId, sessionId: e.sessionId, code: e.code });
    else sessions.push({ roomId: e.roomId, sessionId: e.sessionId, sessionData: e.sessionData });
  }
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/** Base64 (padded or not) of public data → bytes, or null if malformed. */
function decodeBase64(s) {
  if (!B64_RE.test(s) || s.length % 4 === 1) return null;
  let bin;
  try {
    bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
