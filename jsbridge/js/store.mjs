// The key store for the JS API (Go side: jsbridge/api_store.go, store/).
//
// A Store object names an open store inside the Go instance. If that
// instance is restarted (the Go program exited), the next call reopens the
// store from the options kept here and goes on: what was committed is on
// disk, and a call that was running when the instance stopped rejects with
// INSTANCE_EXITED (it may or may not have committed). The memory backend
// lives in the instance, so a restart empties it.
import { mxError } from './common.mjs';
import { isNode } from './env.mjs';
import { guardClass } from './guard.mjs';
import { encodePackedInbound, utf8 } from './wireformat.mjs';

const BACKENDS = ['memory', 'indexeddb', 'fs'];

/**
 * The stores' Locker, over a lock manager with navigator.locks' request()
 * shape: lock(name) resolves, once the lock is held, to the function that
 * releases it (through Go's callbacks). In browsers, Web Locks: tabs and workers of one origin take
 * turns on a store. In Node, processLocks below. The Go side's own lock
 * is per wasm instance, so it is only the fallback (hosts with neither).
 *
 * A Go program that exits while it holds a lock (or waits for one) never
 * releases it, and the page would hold it until unloaded: the runtime's
 * exit hook releases every lock of the instance that ended.
 */
function locker(rt, manager) {
  const held = new Set();
  rt.addExitHook((inst) => {
    for (const h of held) {
      if (h.inst === inst) {
        held.delete(h);
        h.release();
      }
    }
  });
  // Go passes its callbacks: calling one of an instance that has just
  // exited throws, and the lock must then be released, not kept.
  return (name, onGranted, onFailed) => {
    const inst = rt.current; // the instance calling: Go is running
    const gone = () => !inst || inst.gone;
    manager
      .request(`mxcrypto-store:${name}`, () => new Promise((release) => {
        if (gone()) return release();
        const h = { inst, release };
        held.add(h);
        const unlock = () => {
          held.delete(h);
          release();
        };
        try {
          onGranted(unlock);
        } catch {
          unlock();
        }
      }))
      .catch((e) => {
        if (gone()) return;
        try {
          onFailed(e);
        } catch {
          // exited meanwhile
        }
      });
  };
}

/**
 * One queue per lock name, shared by every runtime that loaded this module:
 * Node's stand-in for Web Locks, so two runtimes in one process (two wasm
 * instances) take turns on a store too. Not across processes or threads.
 */
const processLocks = {
  tails: new Map(),
  request(name, callback) {
    const run = (this.tails.get(name) ?? Promise.resolve()).then(() => callback());
    const tail = run.then(() => {}, () => {});
    this.tails.set(name, tail);
    tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return run;
  },
};

const lockers = new WeakMap(); // Runtime → its stores' lock function

/** The lock function of rt's stores, shared by store.open and openDevice (undefined: Go's own lock). */
export function storeLocker(rt) {
  const manager = isNode ? processLocks : globalThis.navigator?.locks;
  if (manager && !lockers.has(rt)) lockers.set(rt, locker(rt, manager));
  return lockers.get(rt);
}

export function storeApi(rt) {
  const call = (name, args) => rt.call(`_store.${name}`, args);
  const lock = storeLocker(rt);

  class Store {
    #args;
    #handle = null;
    #opening = null;
    #closed = false;

    /** @internal */
    constructor(token, args, handle) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use store.open()');
      stores.add(this);
      this.#args = args;
      this.#handle = handle;
      this.name = args[0].name;
      this.backend = args[0].backend;
    }

    async #reopen(stale) {
      if (this.#handle === stale) {
        this.#opening ??= call('open', this.#args).finally(() => { this.#opening = null; });
        this.#handle = await this.#opening;
      }
      return this.#handle;
    }

    async #call(name, args = []) {
      if (this.#closed) throw mxError('CLOSED', `Store.${name}: the store is closed`);
      let handle = this.#handle ?? (await this.#reopen(null));
      for (let attempt = 0; ; attempt++) {
        try {
          return await call(name, [handle, ...args]);
        } catch (e) {
          if (e?.code !== 'NO_STORE' || attempt > 0) throw e;
          if (this.#closed) throw mxError('CLOSED', `Store.${name}: the store is closed`);
          handle = await this.#reopen(handle);
        }
      }
    }

    /** The value under (kind, ids), or null. */
    get(kind, ids = []) {
      return this.#call('get', [kind, idList(ids)]);
    }

    put(kind, ids, value) {
      return this.#call('put', [kind, idList(ids), value]);
    }

    delete(kind, ids = []) {
      return this.#call('delete', [kind, idList(ids)]);
    }

    /**
     * Several puts and deletes in one commit: all or none of them happen.
     * writes: [{ kind, ids, value }], value null (or absent) to delete.
     */
    write(writes) {
      if (!Array.isArray(writes)) return Promise.reject(mxError('BAD_INPUT', 'Store.write: writes must be an array'));
      return this.#call('write', [writes.map((w) => ({ kind: w?.kind, ids: idList(w?.ids ?? []), value: w?.value ?? null }))]);
    }

    /** Records of `kind` whose first id is `firstId`, sorted by second id: [{ ids, value }]. */
    list(kind, firstId = '') {
      return this.#call('list', [kind, firstId]);
    }

    /** Store inbound Megolm sessions in one commit (a bulk restore: thousands at once). */
    putInbound(sessions) {
      let packed;
      try {
        packed = packInbound(sessions);
      } catch (e) {
        return Promise.reject(e);
      }
      return this.#call('putInbound', [packed, sessions.length]);
    }

    getInbound(roomId, sessionId) {
      return this.#call('getInbound', [roomId, sessionId]);
    }

    /** { total, backedUp, backupVersion }: backedUp counts the given (default: active) backup version. No scan. */
    counts(backupVersion) {
      return this.#call('counts', backupVersion === undefined ? [] : [backupVersion]);
    }

    /** Up to `limit` sessions not yet in the active backup, in O(limit). */
    pendingBackup(limit = 100) {
      return this.#call('pendingBackup', [limit]);
    }

    /** Record that sessions ([{ roomId, sessionId }]) were uploaded to `backupVersion`. */
    markBackedUp(backupVersion, sessions) {
      if (!Array.isArray(sessions)) return Promise.reject(mxError('BAD_INPUT', 'Store.markBackedUp: sessions must be an array'));
      return this.#call('markBackedUp', [backupVersion, sessions.flatMap((s) => [s?.roomId, s?.sessionId])]);
    }

    /** Make `backupVersion` the active backup; a new version makes every session pending. */
    setBackupVersion(backupVersion) {
      return this.#call('setBackupVersion', [backupVersion]);
    }

    /** The number of commits the store has had (any instance's). */
    generation() {
      return this.#call('generation');
    }

    /** Release the store; later calls reject with CLOSED. */
    async close() {
      if (this.#closed) return;
      this.#closed = true;
      const handle = this.#handle ?? (await this.#opening?.catch(() => null));
      this.#args = null;
      if (handle == null) return;
      await call('close', [handle]).catch((e) => {
        if (e?.code !== 'NO_STORE' && e?.code !== 'INSTANCE_EXITED') throw e;
      });
    }
  }

  const TOKEN = Symbol('store');
  const stores = guardClass(Store, 'Store');

  return {
    Store,
    async open(options) {
      const spec = await storeOptions(options, 'store.open');
      const args = [spec, lock];
      return new Store(TOKEN, args, await call('open', args));
    },
  };
}

/**
 * The options naming a store and its key, as store.open and openDevice both
 * take them: { name, backend, path (fs), dbName (indexeddb), storeKey |
 * passphrase, iterations, allowRollback }. Checked and normalised here, read by Go in one
 * place (storeSpecArg in jsbridge/openstore.go). `database` is the old name
 * of dbName, still read.
 */
export async function storeOptions(o, what, { defaultBackend } = {}) {
  if (o === null || typeof o !== 'object') throw mxError('BAD_INPUT', `${what}: options must be an object`);
  const backend = o.backend ?? defaultBackend;
  if (typeof o.name !== 'string' || o.name === '') throw mxError('BAD_INPUT', `${what}: name must be a non-empty string`);
  if (!BACKENDS.includes(backend)) throw mxError('BAD_INPUT', `${what}: backend must be one of ${BACKENDS.join(', ')}`);
  if ((o.storeKey == null) === (o.passphrase == null)) throw mxError('BAD_INPUT', `${what}: give storeKey or passphrase (one of them)`);
  if (o.passphrase != null && (typeof o.passphrase !== 'string' || o.passphrase === '')) throw mxError('BAD_INPUT', `${what}: passphrase must be a non-empty string`);
  if (o.storeKey != null && (!(o.storeKey instanceof Uint8Array) || o.storeKey.length !== 32)) throw mxError('BAD_INPUT', `${what}: storeKey must be a 32-byte Uint8Array`);
  const dbName = o.dbName ?? o.database;
  if (dbName != null && (typeof dbName !== 'string' || dbName === '')) throw mxError('BAD_INPUT', `${what}: dbName must be a non-empty string`);
  if (o.allowRollback != null && typeof o.allowRollback !== 'boolean') throw mxError('BAD_INPUT', `${what}: allowRollback must be a boolean`);
  let path = o.path;
  if (backend === 'fs') {
    if (!isNode) throw mxError('BAD_INPUT', `${what}: the fs backend needs Node`);
    if (typeof path !== 'string' || path === '') throw mxError('BAD_INPUT', `${what}: the fs backend needs a path (a directory)`);
    path = (await import('node:path')).resolve(path);
  } else if (path != null) {
    throw mxError('BAD_INPUT', `${what}: path is for the fs backend only`);
  }
  return {
    name: o.name,
    backend,
    path,
    dbName: dbName ?? undefined,
    // A copy of the key (guard.mjs made it): the caller may wipe theirs after open.
    storeKey: o.storeKey ?? undefined,
    passphrase: o.passphrase ?? undefined,
    iterations: o.iterations ?? undefined,
    // Open a store older than its high-water mark (store/mark.go), repaired first.
    allowRollback: o.allowRollback === true,
  };
}

function idList(ids) {
  if (typeof ids === 'string') return [ids];
  return ids;
}

// Checks the sessions and packs them (wireformat.mjs, docs/bridge-formats.md §5).
function packInbound(sessions) {
  if (!Array.isArray(sessions)) throw mxError('BAD_INPUT', 'Store.putInbound: sessions must be an array');
  const packed = [];
  for (const [i, s] of sessions.entries()) {
    const bad = (what) => mxError('BAD_INPUT', `Store.putInbound: session ${i}: ${what}`);
    if (typeof s?.roomId !== 'string' || typeof s.sessionId !== 'string') throw bad('roomId and sessionId must be strings');
    if (!(s.state instanceof Uint8Array)) throw bad('state must be a Uint8Array');
    const index = s.firstKnownIndex ?? 0;
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw bad('firstKnownIndex must be an integer 0..2^32-1');
    packed.push({ room: utf8(s.roomId), session: utf8(s.sessionId), state: s.state, index, backedUp: !!s.backedUp });
  }
  return encodePackedInbound(packed);
}
