// The backup Worker's kept Go instances (wasm/backupproxy/worker.mjs): many
// concurrent requests on one isolate get their own answers, a panic fails
// only its own request, an instance that died is replaced, and the upstream
// calls made with syumai/workers' fetch client carry no body on a GET. The
// upstream here is a small fake homeserver (only whoami), so each request's
// user is known and cross-talk between requests would show.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { VERSION, call } from './helpers/backup-worker.mjs';
import { buildWorker, startWorker } from '../scripts/worker.mjs';

// fakeHomeserver answers whoami for tokens "tok-N" with @uN:fake after a
// random delay (so requests interleave), and records what it was sent.
async function fakeHomeserver() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).length });
      const m = /^Bearer tok-(\d+)$/.exec(req.headers.authorization || '');
      const answer = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url !== '/_matrix/client/v3/account/whoami') return answer(404, { errcode: 'M_UNRECOGNIZED' });
      if (!m) return answer(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'unknown token' });
      setTimeout(() => answer(200, { user_id: `@u${m[1]}:fake` }), Math.floor(Math.random() * 15));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

let hs;
let w;
const USERS = 12;
before(async () => {
  buildWorker({ quiet: true });
  hs = await fakeHomeserver();
  // Two kept instances, no token cache: every request awaits whoami and D1;
  // each instance is replaced after 25 requests, so replacements happen
  // under concurrent load too.
  w = await startWorker({ upstreamUrl: hs.url, vars: { GO_INSTANCES: '2', GO_INSTANCE_REQUESTS: '25', AUTH_CACHE_SECONDS: '0', TEST_FAULTS: '1' } });
  // Each user's own backup version, in both databases (whichever one the
  // user hashes to has it): version N+1 with auth_data naming the user.
  for (const n of ['DB0', 'DB1']) {
    const db = await w.d1(n);
    await db.batch(Array.from({ length: USERS }, (_, i) => db.prepare(
      'INSERT INTO backup_versions (user_id, version, algorithm, auth_data) VALUES (?1, ?2, ?3, ?4)',
    ).bind(`@u${i}:fake`, i + 1, 'm.megolm_backup.v1.curve25519-aes-sha2', JSON.stringify({ owner: `@u${i}:fake` }))));
  }
}, { timeout: 180000 });
after(async () => { await w?.stop(); await hs?.close(); });

async function checkUser(i) {
  const r = await call(w.url, `tok-${i}`, 'GET', VERSION);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, String(i + 1), `user ${i} got user ${r.json.version - 1}'s version`);
  assert.deepEqual(r.json.auth_data, { owner: `@u${i}:fake` });
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
}

test('concurrent requests on one isolate each get their own user\'s answer', { timeout: 120000 }, async () => {
  for (let round = 0; round < 5; round++) {
    await Promise.all(Array.from({ length: 60 }, (_, k) => checkUser(k % USERS)));
  }
});

test('upstream GETs through syumai\'s fetch client carry no body', { timeout: 60000 }, async () => {
  hs.seen.length = 0;
  await checkUser(3);
  const whoami = hs.seen.filter((s) => s.url === '/_matrix/client/v3/account/whoami');
  assert.ok(whoami.length >= 1);
  for (const s of whoami) {
    assert.equal(s.method, 'GET');
    assert.equal(s.body, 0);
    assert.equal(s.headers['transfer-encoding'], undefined, 'no chunked body');
    assert.ok(s.headers['content-length'] === undefined || s.headers['content-length'] === '0', `content-length ${s.headers['content-length']}`);
  }
});

test('a panic in one request is a JSON 500 for it alone; the others and later ones are served', { timeout: 120000 }, async () => {
  const results = await Promise.all(Array.from({ length: 24 }, async (_, k) => {
    if (k % 4 !== 0) { await checkUser(k % USERS); return 'ok'; }
    const r = await call(w.url, `tok-${k % USERS}`, 'GET', VERSION, undefined, { headers: { 'X-Mxcrypto-Test-Fault': 'panic' } });
    assert.equal(r.status, 500, r.text);
    assert.deepEqual(r.json, { errcode: 'M_UNKNOWN', error: 'internal error' });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    return 'panic';
  }));
  assert.equal(results.filter((x) => x === 'panic').length, 6);
  for (let i = 0; i < USERS; i++) await checkUser(i);
});

test('an instance that exited mid-request: 500 for that request, a new instance serves the next', { timeout: 120000 }, async () => {
  for (let round = 0; round < 3; round++) {
    const [dead, ...alive] = await Promise.all([
      call(w.url, 'tok-1', 'GET', VERSION, undefined, { headers: { 'X-Mxcrypto-Test-Fault': 'exit' } }),
      ...Array.from({ length: 6 }, (_, k) => checkUser(k).then(() => 'ok')),
    ]);
    assert.equal(dead.status, 500, dead.text);
    assert.equal(dead.json.errcode, 'M_UNKNOWN');
    assert.deepEqual(alive, Array(6).fill('ok'));
    for (let i = 0; i < USERS; i++) await checkUser(i);
  }
});
