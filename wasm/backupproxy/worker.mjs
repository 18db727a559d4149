// The key-backup Worker's entry, used in place of the worker.mjs that
// syumai/workers' workers-assets-gen writes: the same wasm_exec.js (its copy,
// which hands each instance a `context`) and runtime.mjs, the same Go side
// (workers.ServeNonBlock + Ready, binding.handleRequest(request)), but Go
// instances are kept per isolate instead of started for every request.
//
// Why syumai's entry starts one per request (syumai/workers-go#91, "call to
// released function", "all goroutines are asleep - deadlock!"): Go's js/wasm
// scheduler runs every runnable goroutine whenever JS calls into the
// instance, so with one instance shared by concurrent requests, a promise
// settling for request A runs request B's goroutines inside A's callback:
// B's fetches and D1 calls are made in A's I/O context and die or hang when A
// ends; a Go callback that blocks deadlocks the instance; Go timers fire in
// whichever request set them; and syumai's handler closes one done channel
// when an answer's body ends, which only works once per instance.
//
// What this entry does instead: a small pool per isolate (GO_INSTANCES), each
// instance serving one request at a time, from handleRequest until its
// answer is built (or, for a streamed answer, until the stream ends), so
// every Go step runs inside its own request. An instance is retired if it
// exited, if a request failed in it, or if it left a Go timer pending. The Go
// side never writes through syumai's pipe (see rawBody in main.go), uses no
// Go timers (timeouts are AbortSignals here), and recovers its panics.
import './wasm_exec.js';
import { createRuntimeContext, loadModule } from './runtime.mjs';

const defaults = {
  BACKUP_DBS: 'DB',
  UPSTREAM_TIMEOUT_MS: '10000',
  PROXY_TIMEOUT_MS: '100000',
  MAX_BODY_BYTES: String(16 << 20),
  AUTH_CACHE_SECONDS: '30',
  GO_INSTANCES: '4',
  GO_INSTANCE_REQUESTS: '10000',
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

// The backup API's path prefixes and own headers, as the Go side defines
// them (read from the first instance): other requests go upstream without
// taking an instance.
let ownHeaders = [['Content-Type', 'application/json']];
let backupPrefixes = null;
const idle = [];
let live = 0;
let wasmModule;

async function startInstance() {
  wasmModule ??= await loadModule();
  const go = new Go();
  let ready;
  const readyPromise = new Promise((resolve) => { ready = resolve; });
  const context = createRuntimeContext({ env: {}, ctx: {}, binding: {} });
  const instance = new WebAssembly.Instance(wasmModule, { ...go.importObject, workers: { ready: () => ready() } });
  const inst = { go, context, dead: false, exited: null };
  inst.exited = go.run(instance, context).then(() => { inst.dead = true; }, () => { inst.dead = true; });
  await Promise.race([readyPromise, inst.exited]);
  if (inst.dead || typeof context.binding.handleRequest !== 'function') throw new Error('backupproxy: the Go module did not start');
  ownHeaders = context.binding.headers;
  backupPrefixes = context.binding.backupPrefixes;
  return inst;
}

// reserve starts an instance in a slot of the pool (counted before the
// start, so concurrent requests never start more than GO_INSTANCES).
async function reserve() {
  live++;
  try {
    return await startInstance();
  } catch (e) {
    live--;
    throw e;
  }
}

// acquire waits for a free instance by polling with a short timer in this
// request's own context. Waiting on a promise another request resolves would
// not do: workerd cancels a request whose only pending work belongs to
// another request ("code had hung and would never generate a response").
async function acquire(max) {
  if (max === 0) return reserve(); // one instance per request (syumai's own mode)
  for (;;) {
    while (idle.length) {
      const inst = idle.pop();
      if (!inst.dead) return inst;
      retire(inst);
    }
    if (live < max) return reserve();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function retire(inst) {
  if (!inst.retired) { inst.retired = true; live--; }
}

// releaseInstance hands an instance back after a request, or retires it:
// anything left pending would run in a later request's context; and after
// GO_INSTANCE_REQUESTS requests, because syumai/workers v0.32.0 never
// releases some js.Funcs (the unused one of each then/catch pair when it
// awaits a promise: a body chunk read, an upstream fetch), so a kept
// instance grows by a few of them per request until it is replaced.
function releaseInstance(inst, max, maxRequests) {
  inst.served = (inst.served ?? 0) + 1;
  const clean = !inst.dead && !inst.go.exited && inst.go._scheduledTimeouts.size === 0;
  if (!clean || max === 0 || inst.served >= maxRequests) retire(inst);
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

// makeHost gives the Go side what one request reaches. D1 calls answer
// through settle (the instance's), with rows as one JSON text.
function makeHost(request, env, settle) {
  const dbNames = setting(env, 'BACKUP_DBS').split(',').map((s) => s.trim()).filter(Boolean);
  if (dbNames.length === 0) throw new Error('backupproxy: BACKUP_DBS names no D1 binding');
  const dbs = dbNames.map((n) => {
    if (!env[n]) throw new Error(`backupproxy: no D1 binding named ${n}`);
    return env[n];
  });
  const upstreamTimeout = intSetting(env, 'UPSTREAM_TIMEOUT_MS');
  const bind = (db, [sql, ...args]) => db.prepare(sql).bind(...args);
  const answer = (id, p) => p.then((rows) => settle(id, true, JSON.stringify(rows)), (e) => settle(id, false, e));
  return {
    dbNames: dbNames.join(','),
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
    query(id, i, ...stmt) {
      answer(id, bind(dbs[i], stmt).raw());
    },
    batch(id, i, stmts) {
      answer(id, dbs[i].batch(stmts.map((s) => bind(dbs[i], s))).then((results) => {
        const last = results[results.length - 1];
        return (last.results || []).map((row) => Object.values(row));
      }));
    },
    // The binding syumai's fetch client calls fetch on: globalThis.fetch
    // with this request's timeout.
    upstreamFetch: {
      fetch: (req, init) => fetch(req, { ...init, signal: AbortSignal.timeout(upstreamTimeout) }),
    },
    // Set by the Go side: the route is not the backup API's (proxy it), or
    // the answer is streamed (finish() is called when the stream is done).
    proxy: false,
    streaming: false,
    finish() {},
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

// goRequest is what syumai's handler reads of a request (url, method,
// headers.entries(), body), with only the headers the backup routes use:
// converting a header costs Go three JS values with finalizers, and workerd
// passes a dozen more.
// (X-Mxcrypto-Test-Fault only acts under TEST_FAULTS=1, see fault.go.)
const goHeaders = ['authorization', 'content-length', 'content-type', 'x-mxcrypto-test-fault'];
function goRequest(request, url) {
  const headers = new Map();
  for (const name of goHeaders) {
    const v = request.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  return { url: url.href, method: request.method, headers, body: request.body };
}

async function handle(request, env, ctx) {
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
  const maxRequests = intSetting(env, 'GO_INSTANCE_REQUESTS');
  let released = false;
  const release = () => { if (!released) { released = true; releaseInstance(inst, max, maxRequests); } };
  const guard = deadline(intSetting(env, 'REQUEST_DEADLINE_MS'), inst);
  try {
    const host = makeHost(request, env, inst.context.binding.settle);
    host.finish = release;
    // This request's runtime context: syumai's cloudflare.Getenv reads env
    // from it, serveHTTP the host.
    inst.context.env = env;
    inst.context.ctx = ctx;
    inst.context.host = host;
    const res = await guard.race(inst.context.binding.handleRequest(goRequest(request, url)));
    if (host.proxy) {
      release();
      return proxy(request, env, url);
    }
    if (!host.streaming) release();
    for (const [name, value] of ownHeaders) res.headers.set(name, value);
    return res;
  } catch (e) {
    console.error('backupproxy: request failed:', e && e.message);
    inst.dead = true;
    release();
    return jsonError(500, 'M_UNKNOWN', 'internal error');
  } finally {
    guard.clear();
  }
}

export default { fetch: handle };
