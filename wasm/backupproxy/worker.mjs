// The key-backup Worker's entry: a thin JS host around the Go module
// (backupproxy.wasm, built from this folder's main package).
//
// Why a pool of Go instances per isolate, each serving one request at a time:
// syumai/workers starts a new Go instance for every request (~10 ms of CPU),
// because one instance shared by concurrent requests broke ("call to released
// function", deadlocks; syumai/workers-go#91). The cause is that Go's
// js/wasm scheduler runs every runnable goroutine whenever JS calls into the
// instance: a promise settling for request A runs request B's goroutines
// inside A's callback, so B's fetches and D1 calls are made in A's I/O
// context, and they die or hang when A finishes; Go timers (setTimeout)
// likewise fire in the context of whichever request set them. One request at
// a time per instance keeps every Go step inside its own request, and an
// instance is retired if a request leaves anything pending (a timer, an exit).
// The Go code uses no timers (timeouts are AbortSignals here).
import './wasm_exec.js';
import wasmModule from './backupproxy.wasm';

const defaults = {
  BACKUP_DBS: 'DB',
  UPSTREAM_TIMEOUT_MS: '10000',
  PROXY_TIMEOUT_MS: '100000',
  MAX_BODY_BYTES: String(16 << 20),
  AUTH_CACHE_SECONDS: '30',
  GO_INSTANCES: '4',
  REQUEST_DEADLINE_MS: '60000',
};

function setting(env, name) {
  return env[name] === undefined || env[name] === '' ? defaults[name] : String(env[name]);
}

function intSetting(env, name) {
  const n = Number(setting(env, name));
  if (!Number.isInteger(n) || n < 0) throw new Error(`backupproxy: ${name} must be a non-negative integer`);
  return n;
}

// ---- the pool ----

let ownHeaders = [['Content-Type', 'application/json']];
// The backup API's path prefixes, as the Go side defines them: other
// requests go upstream without taking an instance.
let backupPrefixes = null;
const idle = [];
let live = 0;

function startInstance() {
  const go = new Go();
  let api;
  globalThis.__mxBackupProxyRegister = (a) => { api = a; };
  const instance = new WebAssembly.Instance(wasmModule, go.importObject);
  const exited = go.run(instance); // runs main until it waits for requests
  delete globalThis.__mxBackupProxyRegister;
  if (!api) throw new Error('backupproxy: the Go module did not register');
  ownHeaders = api.headers;
  backupPrefixes = api.backupPrefixes;
  const inst = { go, api, dead: false, exited: null };
  inst.exited = exited.then(() => { inst.dead = true; }, () => { inst.dead = true; });
  live++;
  return inst;
}

// acquire waits for a free instance by polling with a short timer in this
// request's own context. Waiting on a promise another request resolves would
// not do: workerd cancels a request whose only pending work belongs to
// another request ("code had hung and would never generate a response").
async function acquire(max) {
  if (max === 0) return startInstance(); // one instance per request (syumai's mode)
  for (;;) {
    while (idle.length) {
      const inst = idle.pop();
      if (!inst.dead) return inst;
      retire(inst);
    }
    if (live < max) return startInstance();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function retire(inst) {
  if (!inst.retired) { inst.retired = true; live--; }
}

function releaseInstance(inst, max) {
  // Anything left pending would run in a later request's context: retire.
  const clean = !inst.dead && !inst.go.exited && inst.go._scheduledTimeouts.size === 0;
  if (!clean || max === 0) retire(inst);
  else idle.push(inst);
}

// ---- host functions the Go side calls ----

// Tokens' users (under the token's SHA-256), for the whole isolate: shared
// by its Go instances, kept across them. Bounded; entries expire.
const authCache = new Map();
const AUTH_CACHE_MAX = 10000;

class TimeoutError extends Error {
  constructor(what) { super(`${what} timed out`); this.timeout = true; }
}

function makeHost(request, env) {
  const dbNames = setting(env, 'BACKUP_DBS').split(',').map((s) => s.trim()).filter(Boolean);
  const dbs = dbNames.map((n) => {
    if (!env[n]) throw new Error(`backupproxy: no D1 binding named ${n}`);
    return env[n];
  });
  const upstreamTimeout = intSetting(env, 'UPSTREAM_TIMEOUT_MS');
  const bind = (db, [sql, args]) => db.prepare(sql).bind(...args);
  return {
    dbNames,
    maxBodyBytes: intSetting(env, 'MAX_BODY_BYTES'),
    authCacheSeconds: intSetting(env, 'AUTH_CACHE_SECONDS'),
    authGet(key) {
      const e = authCache.get(key);
      if (!e) return null;
      if (Date.now() >= e.expires) { authCache.delete(key); return null; }
      return e.userId;
    },
    authPut(key, userId, ttlMs) {
      if (authCache.size >= AUTH_CACHE_MAX) authCache.clear();
      authCache.set(key, { userId, expires: Date.now() + ttlMs });
    },
    async readBody(limit) {
      const declared = Number(request.headers.get('content-length'));
      if (declared > limit) return null;
      if (!request.body) return new Uint8Array(0);
      const reader = request.body.getReader();
      const parts = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) { await reader.cancel(); return null; }
        parts.push(value);
      }
      const out = new Uint8Array(size);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.byteLength; }
      return out;
    },
    query(i, stmt) {
      return bind(dbs[i], stmt).raw();
    },
    async batch(i, stmts) {
      const results = await dbs[i].batch(stmts.map((s) => bind(dbs[i], s)));
      const last = results[results.length - 1];
      return (last.results || []).map((row) => Object.values(row));
    },
    async upstream(method, path, token, body) {
      const init = { method, headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(upstreamTimeout) };
      if (body) { init.body = body; init.headers['Content-Type'] = 'application/json'; }
      try {
        const res = await fetch(new URL(path, upstreamBase(env)), init);
        return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
      } catch (e) {
        throw isTimeout(e) ? new TimeoutError('upstream') : e;
      }
    },
  };
}

function upstreamBase(env) {
  if (!env.UPSTREAM_URL) throw new Error('backupproxy: UPSTREAM_URL is not set');
  return env.UPSTREAM_URL;
}

function isTimeout(e) {
  return e && (e.name === 'TimeoutError' || e.timeout === true);
}

// ---- answers made here ----

function jsonError(status, errcode, error) {
  return new Response(JSON.stringify({ errcode, error }), { status, headers: ownHeaders });
}

// proxy passes a request upstream unchanged and streams the answer back.
// The timeout covers the wait for the answer's headers, not the body.
async function proxy(request, env, url) {
  const target = new URL(url.pathname + url.search, upstreamBase(env));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutError('upstream')), intSetting(env, 'PROXY_TIMEOUT_MS'));
  const init = { method: request.method, headers: request.headers, redirect: 'manual', signal: controller.signal };
  if (request.method !== 'GET' && request.method !== 'HEAD') init.body = request.body;
  try {
    return await fetch(target, init);
  } catch (e) {
    if (isTimeout(e) || controller.signal.aborted) return jsonError(504, 'M_UNKNOWN', 'upstream homeserver timed out');
    return jsonError(502, 'M_UNKNOWN', 'upstream homeserver unreachable');
  } finally {
    clearTimeout(timer);
  }
}

function deadline(ms, inst) {
  let timer;
  const p = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('request deadline passed')), ms);
  });
  const exited = inst.exited.then(() => { throw new Error('Go instance exited'); });
  return { race: (work) => Promise.race([work, p, exited]), clear: () => clearTimeout(timer) };
}

function passesThrough(request, url) {
  return backupPrefixes !== null && (request.method === 'OPTIONS' || !backupPrefixes.some((p) => url.pathname.startsWith(p)));
}

async function handle(request, env) {
  const url = new URL(request.url);
  if (passesThrough(request, url)) return proxy(request, env, url);
  const max = intSetting(env, 'GO_INSTANCES');
  let inst;
  try {
    inst = await acquire(max);
  } catch (e) {
    console.error('backupproxy: cannot start a Go instance:', e && e.message);
    return jsonError(500, 'M_UNKNOWN', 'internal error');
  }
  let released = false;
  const release = () => { if (!released) { released = true; releaseInstance(inst, max); } };
  const guard = deadline(intSetting(env, 'REQUEST_DEADLINE_MS'), inst);
  try {
    const host = makeHost(request, env);
    const req = {
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      authorization: request.headers.get('authorization') || '',
    };
    const res = await guard.race(inst.api.handle(req, host));
    if (res.proxy) {
      release();
      return proxy(request, env, url);
    }
    if (res.stream) return streamed(res, release, guard);
    release();
    return new Response(res.body, { status: res.status, headers: ownHeaders });
  } catch (e) {
    console.error('backupproxy: request failed:', e && e.message);
    inst.dead = true;
    release();
    return jsonError(500, 'M_UNKNOWN', 'internal error');
  } finally {
    guard.clear();
  }
}

function streamed(res, release, guard) {
  const body = new ReadableStream({
    async pull(controller) {
      try {
        const chunk = await res.stream.next();
        if (chunk === null) { controller.close(); release(); } else controller.enqueue(chunk);
      } catch (e) {
        console.error('backupproxy: stream failed:', e && e.message);
        controller.error(e);
        release();
      }
    },
    cancel() {
      res.stream.cancel();
      release();
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: res.status, headers: ownHeaders });
}

export default { fetch: handle };
