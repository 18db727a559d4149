// The running Go program behind the API: one instance at a time, started
// from the compiled module and restarted on demand after it exits.
//
// The Go program can end (os.Exit, or a fatal runtime error). When it does,
// the calls still in flight reject with code INSTANCE_EXITED, the exit hooks
// run (store.mjs releases the instance's locks), and the next call starts a
// fresh instance from the already compiled module.
import { LOADER_CODES, mxError } from './common.mjs';
import { callDirect } from './direct.mjs';
import { decliningImports } from './host.mjs';

// Left out of the core build (see jsbridge/api_full.go).
const STATEFUL_APIS = ['_device', '_store', '_machine'];

let readySeq = 0;

/**
 * One run of Go's wasm_exec.js runtime (globalThis.Go). The only code that
 * touches its internals: `exited`, and, to silence a program that ended,
 * `_scheduledTimeouts` and `_resume`.
 */
class GoProgram {
  #go = new globalThis.Go();
  #exitCode = null;

  constructor(readyName, hostModule) {
    this.#go.argv = ['mxcrypto', readyName];
    this.#go.env = {};
    this.#go.exit = (code) => { this.#exitCode = code; };
    this.#go.importObject.mxcrypto_host = hostModule;
  }

  get importObject() {
    return this.#go.importObject;
  }

  /** Runs the program; settles when it exits (rejects if it crashed). */
  run(instance) {
    return this.#go.run(instance);
  }

  get exitCode() {
    return this.#exitCode;
  }

  /** Whether the program has ended (Go sets this before it returns to JS). */
  get exited() {
    return this.#go.exited === true;
  }

  /**
   * Stops everything the ended program could still do: timers it had set
   * would otherwise resume a dead instance.
   */
  silence() {
    for (const t of this.#go._scheduledTimeouts.values()) clearTimeout(t);
    this.#go._scheduledTimeouts.clear();
    this.#go._resume = () => {};
  }
}

/** One started instance: its program, its exports and the calls in flight. */
class Instance {
  constructor(program, exports) {
    this.program = program;
    this.exports = exports;
    this.api = null;
    this.directOps = null;
    this.pending = new Set();
    this.dead = false;
  }

  #native;
  /**
   * Whether Go uses the host's primitives (it does only if the host gives the
   * known answers). Read on demand: the first read runs that test, which Go
   * otherwise runs on its first use of the host, not at start.
   */
  get native() {
    if (this.#native === undefined) {
      if (this.gone) return false;
      try {
        this.#native = this.api?._native === true;
      } catch {
        return false; // the program ended while being asked
      }
    }
    return this.#native;
  }

  /** Whether this instance can no longer run anything. */
  get gone() {
    return this.dead || this.program.exited;
  }
}

/** One Go program at a time; restarted on demand after it exits. */
export class Runtime {
  #exitHooks = [];
  #starting = null;

  /**
   * @param {WebAssembly.Module} module
   * @param {{ subtle?: SubtleCrypto, host?: object | null }} options
   *   subtle: WebCrypto for the operations JS does natively (undefined: Go
   *   does all); host: node:crypto lent to Go (host.mjs), or null.
   */
  constructor(module, { subtle, host } = {}) {
    this.module = module;
    this.subtle = subtle;
    this.host = host ?? null;
    /** The live Instance, or null between an exit and the next start. */
    this.current = null;
  }

  /**
   * Registers fn(instance) to run once for every instance that ends, before
   * its pending calls reject.
   */
  addExitHook(fn) {
    this.#exitHooks.push(fn);
  }

  async ensure() {
    if (this.current && !this.current.dead) return this.current;
    if (!this.#starting) this.#starting = this.#start().finally(() => { this.#starting = null; });
    return this.#starting;
  }

  async #start() {
    const readyName = `__mxcryptoReady${++readySeq}_${Math.random().toString(36).slice(2)}`;
    const host = this.host?.imports();
    const program = new GoProgram(readyName, host?.module ?? decliningImports);
    const instance = await WebAssembly.instantiate(this.module, program.importObject);
    host?.attach(instance.exports.mem);
    const inst = new Instance(program, instance.exports);
    const ready = new Promise((resolve) => { globalThis[readyName] = resolve; });
    const exited = program.run(instance).then(
      () => this.#exit(inst, `the Go program exited with code ${program.exitCode}`),
      (e) => this.#exit(inst, `the Go program crashed: ${e?.message ?? e}`),
    );
    try {
      inst.api = await Promise.race([ready, exited.then(() => { throw mxError(LOADER_CODES.NOT_LOADED, 'mxcrypto exited during start-up'); })]);
    } finally {
      delete globalThis[readyName];
    }
    inst.directOps = new Map(Array.from(inst.api._directOps ?? [], (name, i) => [name, i]));
    this.current = inst;
    return inst;
  }

  #exit(inst, why) {
    if (inst.dead) return;
    inst.dead = true;
    for (const hook of this.#exitHooks) hook(inst);
    if (this.current === inst) this.current = null;
    inst.program.silence();
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
    if (inst && !inst.dead) return this.#invoke(inst, path, args);
    const copied = args.map((a) => (a instanceof Uint8Array ? a.slice() : a));
    return this.ensure().then((i) => this.#invoke(i, path, copied));
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
    return this.#direct(inst, path, args);
  }

  /**
   * A direct call now, or null without calling when no instance is running
   * or it lacks the operation (then the caller takes the Async path).
   */
  directNow(path, args) {
    const inst = this.current;
    if (!inst || inst.gone || !inst.directOps.has(path)) return null;
    return this.#direct(inst, path, args);
  }

  #direct(inst, path, args) {
    const op = inst.directOps.get(path);
    if (op === undefined) throw mxError('INTERNAL', `mxcrypto operation ${path} is missing: loader and wasm module do not match (rebuild)`);
    try {
      return callDirect(inst.exports, op, args);
    } catch (e) {
      if (!e?.trapped) throw e;
      const why = `the wasm instance failed: ${e.trapped?.message ?? e.trapped}`;
      this.#exit(inst, why);
      throw mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped during ${path} (${why}); the next call starts a new instance`, e.trapped);
    } finally {
      if (inst.program.exited) this.#exit(inst, 'the Go program exited');
    }
  }

  #invoke(inst, path, args) {
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
        this.#exit(inst, `the wasm instance failed: ${e?.message ?? e}`);
        if (inst.pending.delete(entry)) reject(mxError(LOADER_CODES.INSTANCE_EXITED, `mxcrypto stopped during ${path}: ${e?.message ?? e}; the next call starts a new instance`, e));
      }
    });
  }
}
