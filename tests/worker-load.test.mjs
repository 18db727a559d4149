// The backup Worker under load, with the figures the issue asks for:
// 20 users × 500 keys in concurrent bulk and single PUTs, then GETs (nothing
// lost, counts and etags consistent, no 5xx, latency percentiles); CPU per
// request of the workerd process, with a Go instance kept per isolate and
// with one per request (syumai/workers' mode); 100,000 keys in bulk PUTs and
// one streamed GET.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { KEYS, VERSION, call, enc, keyData, newVersion, startStack } from './helpers/backup-worker.mjs';
import { buildWorker, cpuSeconds, startWorker } from '../scripts/worker.mjs';


let stack;
before(async () => { stack = await startStack(); }, { timeout: 180000 });
after(async () => { await stack?.stop(); });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

test('20 users × 500 keys, concurrent bulk and single PUTs, then GETs', { timeout: 300000 }, async () => {
  const USERS = 20;
  const users = [];
  for (let i = 0; i < USERS; i++) users.push(await stack.user());
  const versions = await Promise.all(users.map((u) => newVersion(u)));
  const latencies = { bulk: [], single: [], get: [] };
  const statuses = [];
  const expected = users.map(() => ({}));
  const t0 = performance.now();
  await Promise.all(users.map(async (u, i) => {
    const v = versions[i].version;
    const ops = [];
    // 400 keys in 4 bulk PUTs (rooms × sessions), 100 single-session PUTs, interleaved
    for (let b = 0; b < 4; b++) {
      const rooms = {};
      for (let k = 0; k < 100; k++) {
        const room = `!room${k % 7}:localhost`;
        const sid = `bulk${b}-${k}`;
        const kd = keyData({ fmi: k });
        (rooms[room] ??= { sessions: {} }).sessions[sid] = kd;
        (expected[i][room] ??= {})[sid] = kd;
      }
      ops.push(async () => {
        const r = await u.call('PUT', `${KEYS}?version=${v}`, { rooms });
        latencies.bulk.push(r.ms);
        statuses.push(r.status);
      });
    }
    for (let k = 0; k < 100; k++) {
      const room = `!single${k % 5}:localhost`;
      const sid = `one-${k}`;
      const kd = keyData({ fc: k % 3, verified: k % 2 === 0 });
      (expected[i][room] ??= {})[sid] = kd;
      ops.push(async () => {
        const r = await u.call('PUT', `${KEYS}/${enc(room)}/${enc(sid)}?version=${v}`, kd);
        latencies.single.push(r.ms);
        statuses.push(r.status);
      });
    }
    // a few at a time per user, all users at once
    for (let j = 0; j < ops.length; j += 4) await Promise.all(ops.slice(j, j + 4).map((op) => op()));
  }));
  const putSeconds = (performance.now() - t0) / 1000;
  assert.deepEqual([...new Set(statuses)], [200], 'every PUT answered 200');

  await Promise.all(users.map(async (u, i) => {
    const v = versions[i].version;
    const r = await u.call('GET', `${KEYS}?version=${v}`);
    latencies.get.push(r.ms);
    assert.equal(r.status, 200);
    const got = Object.fromEntries(Object.entries(r.json.rooms).map(([room, { sessions }]) => [room, sessions]));
    assert.deepEqual(got, expected[i], 'nothing lost, nothing foreign');
    const info = await u.call('GET', VERSION);
    assert.equal(info.json.count, 500);
    // the etag of the version is the one a no-op PUT reports, and stays put
    const noop = await u.call('PUT', `${KEYS}?version=${v}`, { rooms: {} });
    assert.deepEqual(noop.json, { count: 500, etag: info.json.etag });
  }));
  // users are spread over both D1 databases, each user's keys in one of them
  const perDb = await Promise.all(['DB0', 'DB1'].map(async (n) => {
    const db = await stack.worker.d1(n);
    return db.prepare('SELECT user_id, COUNT(*) AS n FROM backup_keys GROUP BY user_id').all();
  }));
  const holders = new Map();
  perDb.forEach(({ results }, i) => results.forEach((r) => holders.set(r.user_id, [...(holders.get(r.user_id) ?? []), i])));
  for (const u of users) assert.deepEqual(holders.get(u.userId)?.length, 1, `${u.userId} in exactly one database`);
  const onEach = [0, 1].map((i) => users.filter((u) => holders.get(u.userId)[0] === i).length);
  assert.ok(onEach[0] > 0 && onEach[1] > 0, `users on each database: ${onEach}`);
  console.log(`load: users per database: DB0 ${onEach[0]}, DB1 ${onEach[1]}`);
  // equal data gives equal etags only when all of it is equal: all 20 differ
  const etags = await Promise.all(users.map(async (u) => (await u.call('GET', VERSION)).json.etag));
  assert.equal(new Set(etags).size, USERS);
  console.log(`load: ${USERS} users × 500 keys in ${putSeconds.toFixed(1)} s (${((USERS * 500) / putSeconds).toFixed(0)} keys/s)`);
  console.log(`load: bulk PUT (100 keys) ${fmt(latencies.bulk)}`);
  console.log(`load: single PUT ${fmt(latencies.single)}`);
  console.log(`load: GET 500 keys ${fmt(latencies.get)}`);
});

// cpuPerRequest runs batches of sequential requests after a warm-up and reads the workerd
// process's CPU time around each batch (/proc ticks are 10 ms, so a batch of
// 50 resolves 0.2 ms per request). Returns ms per request, one per batch.
async function cpuPerRequest(worker, send, { batches = 8, per = 50 } = {}) {
  const [pid] = worker.workerdPids();
  assert.ok(pid, 'found the workerd process');
  // Warm up: the first instance, the auth cache, and V8's optimizing tier
  // for the hot wasm functions (a long-lived isolate runs warm).
  for (let i = 0; i < 200; i++) await send();
  const out = [];
  for (let b = 0; b < batches; b++) {
    const c0 = cpuSeconds(pid);
    for (let i = 0; i < per; i++) await send();
    out.push(((cpuSeconds(pid) - c0) * 1000) / per);
  }
  return out;
}

// The baseline: a plain JS Worker doing the same I/O as the measured
// requests (a cached token and one D1 query; or a pass-through fetch),
// so what workerd, miniflare's entry worker and local D1 cost is known.
const plainJSWorker = `
const seen = new Map();
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (!url.pathname.includes('/room_keys/')) {
      return fetch(new URL(url.pathname + url.search, env.UPSTREAM_URL), { method: request.method, headers: request.headers });
    }
    const token = request.headers.get('authorization') || '';
    let user = seen.get(token);
    if (!user) {
      const r = await fetch(new URL('/_matrix/client/v3/account/whoami', env.UPSTREAM_URL), { headers: { authorization: token } });
      user = (await r.json()).user_id;
      seen.set(token, user);
    }
    const rows = await env.DB0.prepare('SELECT k.session_data FROM backup_versions AS v LEFT JOIN backup_keys AS k ON k.user_id = v.user_id AND k.version = v.version AND k.room_id = ?3 AND k.session_id = ?4 WHERE v.user_id = ?1 AND v.version = ?2').bind(user, 1, '!r:localhost', 'S').raw();
    if (request.method === 'GET' && url.pathname.endsWith('/S')) return new Response(JSON.stringify({ session_data: JSON.parse(rows[0][0]) }), { headers: { 'content-type': 'application/json' } });
    return new Response(JSON.stringify({ errcode: 'M_NOT_FOUND', error: String(rows.length) }), { status: 404, headers: { 'content-type': 'application/json' } });
  },
};`;

test('CPU per request: Go instance pool vs one instance per request', { timeout: 420000 }, async () => {
  const u = await stack.user();
  const { raw, gzip } = buildWorker({ quiet: true });
  console.log(`cpu: app.wasm ${(raw / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip`);
  const room = enc('!r:localhost');
  const stored = keyData();
  const results = {};
  for (const [mode, instances] of [['pool', '4'], ['per-request', '0'], ['plain JS', null]]) {
    const w = await startWorker({ upstreamUrl: stack.hs.baseUrl, vars: { GO_INSTANCES: instances ?? '4' }, script: instances === null ? plainJSWorker : undefined });
    try {
      // The user's version and one key, written straight into both of this
      // worker's databases (the user hashes to one of them).
      for (const n of ['DB0', 'DB1']) {
        const db = await w.d1(n);
        await db.batch([
          db.prepare('INSERT INTO backup_versions (user_id, version, algorithm, auth_data) VALUES (?1, 1, ?2, ?3)').bind(u.userId, 'm.megolm_backup.v1.curve25519-aes-sha2', '{"public_key":"x"}'),
          db.prepare(`INSERT INTO backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data, row_hash)
            VALUES (?1, 1, '!r:localhost', 'S', 0, 0, 0, ?2, 1)`).bind(u.userId, JSON.stringify(stored.session_data)),
        ]);
      }
      const kinds = {
        // a cached token and one D1 query answering one session's key
        'session GET': async () => {
          const r = await call(w.url, u.accessToken, 'GET', `${KEYS}/${room}/S?version=1`);
          assert.equal(r.status, 200, r.text);
        },
        'version GET': async () => {
          const r = await call(w.url, u.accessToken, 'GET', VERSION);
          assert.equal(r.status, instances === null ? 404 : 200, r.text);
        },
        // a body read and checked, one D1 batch (the stored key stays)
        'single PUT': async () => {
          const r = await call(w.url, u.accessToken, 'PUT', `${KEYS}/${room}/S?version=1`, stored);
          assert.equal(r.status, instances === null ? 404 : 200, r.text);
        },
        proxied: async () => {
          const r = await call(w.url, null, 'GET', '/_matrix/client/versions');
          assert.equal(r.status, 200);
        },
      };
      results[mode] = {};
      for (const [kind, send] of Object.entries(kinds)) {
        // one instance per request: the start's cost shows on one route kind
        if (mode === 'per-request' && kind !== 'session GET') continue;
        results[mode][kind] = await cpuPerRequest(w, send);
      }
    } finally {
      await w.stop();
    }
  }
  for (const [mode, r] of Object.entries(results)) {
    for (const [kind, xs] of Object.entries(r)) {
      console.log(`cpu: ${mode} ${kind}: median ${pct(xs, 50).toFixed(2)} ms, p95 ${pct(xs, 95).toFixed(2)} ms per request (workerd process, ${xs.length} batches of 50)`);
    }
  }
  for (const kind of Object.keys(results.pool)) {
    console.log(`cpu: ${kind}: Go's share with the pool ≈ ${(pct(results.pool[kind], 50) - pct(results['plain JS'][kind], 50)).toFixed(2)} ms per request (pool median − plain JS median)`);
  }
  // The pool is the point: it saves starting a Go instance (several ms of
  // CPU here) on every request. The margin allows for a loaded machine.
  assert.ok(pct(results.pool['session GET'], 50) + 2 < pct(results['per-request']['session GET'], 50), 'the instance pool saves the instance start');
});

test('100,000 keys: bulk PUTs, one streamed GET', { timeout: 600000 }, async () => {
  const u = await stack.user();
  const { version } = await newVersion(u);
  const N = 100000;
  const PER = 10000;
  const t0 = performance.now();
  for (let start = 0; start < N; start += PER) {
    const rooms = {};
    for (let k = start; k < start + PER; k++) {
      (rooms[`!big${k % 50}:localhost`] ??= { sessions: {} }).sessions[`s${k}`] = keyData({ fmi: k % 1000, data: { ephemeral: 'A'.repeat(43), ciphertext: 'B'.repeat(128), mac: 'C'.repeat(11) } });
    }
    const r = await u.call('PUT', `${KEYS}?version=${version}`, { rooms });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.count, start + PER);
  }
  const putS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const res = await fetch(`${stack.url}${KEYS}?version=${version}`, { headers: { Authorization: `Bearer ${u.accessToken}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), null, 'streamed, not buffered');
  const text = await res.text();
  const getS = (performance.now() - t1) / 1000;
  const body = JSON.parse(text);
  let n = 0;
  for (const { sessions } of Object.values(body.rooms)) n += Object.keys(sessions).length;
  assert.equal(n, N);
  assert.equal(body.rooms['!big7:localhost'].sessions.s99957.first_message_index, 957);
  console.log(`bulk: PUT ${N} keys in ${putS.toFixed(1)} s (${(N / putS).toFixed(0)} keys/s, ${PER} per request); GET ${N} keys streamed in ${getS.toFixed(1)} s (${(N / getS).toFixed(0)} keys/s, ${(text.length / 1048576).toFixed(1)} MiB)`);
});
