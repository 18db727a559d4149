// mxcrypto loader: instantiates the Go WebAssembly module and exposes its
// promise-based API. Works in Node ≥ 20, browsers and Workers.
//
// The Go program can end (os.Exit, or a fatal runtime error). When it does,
// the calls still in flight reject with code INSTANCE_EXITED and the next call
// starts a fresh instance from the already compiled module.

import { mxError } from './common.mjs';
import { megolmApi } from './megolm.mjs';
import { olmApi } from './olm.mjs';
import { deviceApi } from './device.mjs';
import { webCryptoPBKDF2 } from './pbkdf2.mjs';
import { machineApi } from './machine.mjs';
import { checkEntries, decryptEntries, decryptMany, encryptForBackup, prepareEntries, restoreDeriver } from './backup.mjs';
import { decliningImports, nativeHost } from './host.mjs';
import { callDirect } from './direct.mjs';
import { storeApi } from './store.mjs';
import { guardApi, plainCopy } from './guard.mjs';
import { connectClient } from './client.mjs';

// The package (dist/, where the build copies this file) has the module and
// Go's runtime next to the loader. The URLs are made on first use, not at load: in a Cloudflare Worker import.meta.url is not a
// base URL and `new URL` at module top level would fail the import.
const defaultWasmUrl = () => new URL('./mxcrypto.wasm', import.meta.url);
const wasmExecUrl = () => new URL('./wasm_exec.js', import.meta.url);

/** Error codes raised by the loader itself (the Go side raises the rest). */
const LOADER_CODES = { BAD_INPUT: 'BAD_INPUT', INSTANCE_EXITED: 'INSTANCE_EXITED', NOT_LOADED: 'NOT_LOADED' };

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
const subtle = globalThis.crypto?.subtle;

let readySeq = 0;

// Left out of the core build (see jsbridge/api_full.go).
const STATEFUL_APIS = ['_device', '_store', '_machine'];

/**
 * Load the module and resolve to the API object.
 * @param {{ wasm?: string | URL | Uint8Array | ArrayBuffer | Response | WebAssembly.Module, webCrypto?: boolean }} [options]
 *   webCrypto: false makes every operation run in Go, without WebCrypto or
 *   node:crypto (for tests and benchmarks).
 */
export async function init(options) {
  let wasm, webCrypto;
  try {
    ({ wasm, webCrypto } = readInitOptions(options));
  } catch (e) {
    throw e?.name === 'MxCryptoError' ? e : mxError(LOADER_CODES.BAD_INPUT, `init: options cannot be read: ${e?.message ?? e}`, e);
  }
  try {
    return await start(wasm, webCrypto);
  } catch (e) {
    if (e?.name === 'MxCryptoError' && typeof e.code === 'string') throw e;
    throw mxError(LOADER_CODES.NOT_LOADED, `init: ${e?.message ?? e}`, e);
  }
}

/**
 * init's options, read once and guarded (a Proxy or a throwing getter is
 * BAD_INPUT): the module source is kept as it is (a Module, a Response), or
 * copied if it is bytes, so that compile() reads only values it trusts.
 */
function readInitOptions(options) {
  if (options === undefined || options === null) return { wasm: undefined, webCrypto: true };
  if (typeof options !== 'object') throw mxError(LOADER_CODES.BAD_INPUT, 'init: options must be an object');
  const wasm = options.wasm;
  const webCrypto = options.webCrypto;
  if (webCrypto !== undefined && typeof webCrypto !== 'boolean') throw mxError(LOADER_CODES.BAD_INPUT, 'init: webCrypto must be a boolean');
  if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    return { wasm: plainCopy(wasm instanceof ArrayBuffer ? new Uint8Array(wasm) : wasm, 'init: options.wasm'), webCrypto };
  }
  if (wasm !== undefined && wasm !== null && typeof wasm !== 'string' && typeof wasm !== 'object') {
    throw mxError(LOADER_CODES.BAD_INPUT, 'init: options.wasm must be a URL, a path, bytes, a Response or a WebAssembly.Module');
  }
  return { wasm, webCrypto };
}

async function start(wasm, webCrypto) {
  // Go's os package reaches files through globalThis.fs (the store's fs backend); without it wasm_exec.js installs a stub.
  if (isNode && !globalThis.Go && !globalThis.fs) globalThis.fs = (await import('node:fs')).default;
  // Compile the module while the Go runtime glue loads.
  const native = webCrypto !== false;
  const [module, , host] = await Promise.all([
    compile(wasm ?? defaultWasmUrl()),
    globalThis.Go ? null : import(wasmExecUrl().href),
    native ? nativeHost() : null,
  ]);
  if (!globalThis.Go) throw mxError(LOADER_CODES.NOT_LOADED, 'the Go wasm runtime (wasm_exec.js) did not load; run `npm run build` first');
  const runtime = new Runtime(module);
  runtime.subtle = native ? subtle : undefined;
  runtime.host = host;
  await runtime.ensure();
  return buildApi(runtime);
}

async function compile(source) {
  // Streaming compilation overlaps download and compilation, and is what
  // lets a browser cache the compiled code (V8's wasm code cache). It needs
  // a real Response with Content-Type exactly application/wasm (Node refuses
  // parameters); anything else is compiled from its bytes.
  const compileResponse = async (res) => {
    const type = res.headers.get?.('content-type')?.trim().toLowerCase();
    if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function' &&
        typeof Response === 'function' && res instanceof Response) {
      return await WebAssembly.compileStreaming(res);
    }
    return await WebAssembly.compile(await res.arrayBuffer());
  };
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) return await WebAssembly.compile(source);
    // Duck-typed: in Node, merely touching the global Response loads undici (~15 ms).
    if (typeof source?.arrayBuffer === 'function' && typeof source?.headers === 'object') return await compileResponse(source);
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
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await compileResponse(res);
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
    this.host = null;
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
    const host = this.host?.imports();
    go.importObject.mxcrypto_host = host?.module ?? decliningImports;
    const instance = await WebAssembly.instantiate(this.module, go.importObject);
    host?.attach(instance.exports.mem);
    const inst = { go, api: null, pending: new Set(), dead: false, exports: instance.exports, directOps: null };
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
    inst.directOps = new Map(Array.from(inst.api._directOps ?? [], (name, i) => [name, i]));
    // Go used the host only if it gave the known answers.
    inst.native = inst.api._native === true;
    this.current = inst;
    return inst;
  }

  onExit(inst, why) {
    if (inst.dead) return;
    inst.dead = true;
    for (const hook of this.exitHooks ?? []) hook(inst); // e.g. store.mjs releases the instance's Web Locks
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

  /**
   * A direct call (see direct.mjs) of the operation `path`, e.g.
   * "megolm.outboundEncrypt": synchronous on a live instance, so the
   * arguments are read before this returns.
   */
  async direct(path, args) {
    let inst = this.current;
    if (!inst || inst.dead) {
      args = args.map((a) => (a instanceof Uint8Array ? a.slice() : a));
      inst = await this.ensure();
    }
    const op = inst.directOps.get(path);
    if (op === undefined) throw mxError('INTERNAL', `mxcrypto operation ${path} is missing: loader and wasm module do not match (rebuild)`);
    try {
      return callDirect(inst.exports, op, args);
    } catch (e) {
      if (!e?.trapped) throw e;
      const why = `the wasm instance failed: ${e.trapped?.message ?? e.trapped}`;
      this.onExit(inst, why);
      throw mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped during ${path} (${why}); the next call starts a new instance`, e.trapped);
    } finally {
      if (inst.go.exited) this.onExit(inst, 'the Go program exited');
    }
  }

  invoke(inst, path, args) {
    let fn = inst.api;
    for (const part of path.split('.')) fn = fn?.[part];
    if (typeof fn !== 'function') {
      const ns = path.split('.')[0];
      if (STATEFUL_APIS.includes(ns) && inst.api[ns] === undefined) {
        return Promise.reject(mxError(LOADER_CODES.NOT_LOADED, `${path.slice(1)}: this module is the core build (mxcrypto-core.wasm), without the store and device APIs; load mxcrypto.wasm for them`));
      }
      return Promise.reject(mxError('INTERNAL', `mxcrypto export ${path} is missing: loader and wasm module do not match (rebuild)`));
    }
    return new Promise((resolve, reject) => {
      const entry = { reject };
      inst.pending.add(entry);
      const settle = (f) => (v) => { if (inst.pending.delete(entry)) f(v); };
      try {
        // Go settles the promise through these (see jsbridge/async.go).
        fn(settle(resolve), settle(reject), ...args);
      } catch (e) {
        // A trap inside Go (or a call into an exited program) lands here.
        this.onExit(inst, `the wasm instance failed: ${e?.message ?? e}`);
        if (inst.pending.delete(entry)) reject(mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped during ${path}: ${e?.message ?? e}; the next call starts a new instance`, e));
      }
    });
  }
}

function buildApi(rt) {
  const call = (path) => (...args) => rt.call(path, args);
  return guardApi({
    /** Whether node:crypto primitives are lent to the Go side (Node only; see internal/accel). */
    get nativeCrypto() {
      return rt.current?.native ?? false;
    },
    /** Size of the running instance's wasm memory in bytes (it grows, never shrinks). */
    get wasmMemoryBytes() {
      return rt.current?.exports?.mem?.buffer.byteLength ?? 0;
    },
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
      /** @internal the per-thread part of decryptMany (restore-worker.mjs). */
      _decryptEntries: (privateKey, entries, onProgress) => {
        checkEntries(privateKey, entries, [onProgress], 'backup._decryptEntries');
        return decryptEntries(rt, privateKey, entries, onProgress ?? undefined);
      },
      /** @internal the per-thread part of Device.restoreBackup (restore-worker.mjs). */
      _prepareEntries: async (privateKey, entries, onBatch, onProgress) => {
        checkEntries(privateKey, entries, [onBatch, onProgress], 'backup._prepareEntries');
        if (typeof onBatch !== 'function') throw mxError('BAD_INPUT', 'backup._prepareEntries: onBatch must be a function');
        const derive = await restoreDeriver(rt, privateKey);
        if (!derive) throw mxError('INTERNAL', 'restore worker: no native X25519 in this thread');
        return prepareEntries(rt, derive, entries, onBatch, onProgress);
      },
    },
    olm: olmApi(rt),
    megolm: megolmApi(rt),
    openDevice: deviceApi(rt).openDevice,
    openMachine: machineApi(rt).openMachine,
    connect(options) { return connectClient(this, options); },
    store: storeApi(rt),
    canonicalJSON: signedJSONInput(call('canonicalJSON'), 'canonicalJSON'),
    signing: {
      verify: signedJSONInput(call('signing.verify'), 'signing.verify'),
    },
    // Failure injection, in the test build (dist/mxcrypto-test.wasm) only.
    ...(rt.current?.api?._debug ? {
      _debug: {
        panic: call('_debug.panic'),
        exit: call('_debug.exit'),
        sleep: call('_debug.sleep'),
        /** A copy of the running instance's wasm memory, for tests that look for secrets left in it. */
        memory: () => new Uint8Array(rt.current?.exports?.mem?.buffer ?? new ArrayBuffer(0)).slice(),
      },
    } : {}),
  });
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

// PBKDF2-SHA-512 runs natively in WebCrypto, several times faster than Go
// compiled to wasm; Go is the fallback for hosts without it.
async function deriveKey(rt, passphrase, salt, iterations, bits) {
  if (typeof passphrase !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: passphrase must be a string');
  if (typeof salt !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: salt must be a string');
  await rt.call('passphrase._checkParams', [iterations, bits]);
  return (await webCryptoPBKDF2(rt.subtle, passphrase, salt, iterations, bits)) ?? rt.call('passphrase._deriveKey', [passphrase, salt, iterations, bits]);
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
