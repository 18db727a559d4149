// The backup Worker under faults: the upstream down or slow gives 502/504
// JSON (never a hang), and D1 failures give 500 M_UNKNOWN with nothing
// half-written that a retry cannot repair.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { KEYS, VERSION, call, enc, keyData, newVersion, startStack } from './helpers/backup-worker.mjs';
import { startWorker } from '../scripts/worker.mjs';

let stack;
before(async () => { stack = await startStack(); }, { timeout: 180000 });
after(async () => { await stack?.stop(); });

// An upstream that accepts connections and never answers, and a port with
// nothing listening.
async function silentServer() {
  const sockets = new Set();
  const server = http.createServer(() => {});
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(r)); } };
}

async function closedPortUrl() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${s.address().port}`;
  await new Promise((r) => s.close(r));
  return url;
}

test('upstream down: 502 JSON on backup and proxied routes', { timeout: 60000 }, async () => {
  const w = await startWorker({ upstreamUrl: await closedPortUrl() });
  try {
    for (const [method, path] of [['GET', VERSION], ['GET', '/_matrix/client/versions']]) {
      const r = await call(w.url, 'tok', method, path);
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.errcode, 'M_UNKNOWN');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
  } finally {
    await w.stop();
  }
});

test('upstream slow: 504 JSON after the timeout, not a hang', { timeout: 60000 }, async () => {
  const slow = await silentServer();
  const w = await startWorker({ upstreamUrl: slow.url, vars: { UPSTREAM_TIMEOUT_MS: '1000', PROXY_TIMEOUT_MS: '1500' } });
  try {
    for (const [method, path, limit] of [['GET', VERSION, 1000], ['GET', '/_matrix/client/versions', 1500]]) {
      const r = await call(w.url, 'tok', method, path);
      assert.equal(r.status, 504, r.text);
      assert.equal(r.json.errcode, 'M_UNKNOWN');
      assert.ok(r.ms >= limit * 0.9 && r.ms < limit + 5000, `answered after ${r.ms} ms`);
    }
  } finally {
    await w.stop();
    await slow.close();
  }
});

test('D1 errors: 500 M_UNKNOWN, the batch leaves nothing half-written, a retry repairs', { timeout: 120000 }, async () => {
  const u = await stack.user();
  const { version } = await newVersion(u);
  const dbs = await Promise.all(['DB0', 'DB1'].map((n) => stack.worker.d1(n)));
  // Which database holds this user: the one with its version row.
  const counts = await Promise.all(dbs.map((db) => db.prepare('SELECT COUNT(*) AS n FROM backup_versions WHERE user_id = ?').bind(u.userId).first('n')));
  const db = dbs[counts.indexOf(1)];
  assert.ok(db, `the version lives in exactly one database: ${counts}`);

  // 2,500 keys go in three statements; the third one fails.
  const sessions = {};
  for (let i = 0; i < 2500; i++) sessions[`s${String(i).padStart(5, '0')}`] = keyData({ fmi: i });
  const body = { rooms: { '!r:localhost': { sessions } } };
  await db.prepare(`CREATE TRIGGER fail_late BEFORE INSERT ON backup_keys WHEN NEW.session_id = 's02400'
    BEGIN SELECT RAISE(ABORT, 'injected failure'); END`).run();
  let r = await u.call('PUT', `${KEYS}?version=${version}`, body);
  assert.equal(r.status, 500, r.text);
  assert.deepEqual(r.json, { errcode: 'M_UNKNOWN', error: 'internal error' });
  const info = (await u.call('GET', VERSION)).json;
  assert.equal(info.count, 0, 'no chunk of the failed PUT stayed');
  assert.equal(await db.prepare('SELECT COUNT(*) AS n FROM backup_keys WHERE user_id = ?').bind(u.userId).first('n'), 0);

  // The database recovers; the client's retry stores everything once.
  await db.prepare('DROP TRIGGER fail_late').run();
  r = await u.call('PUT', `${KEYS}?version=${version}`, body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.count, 2500);
  const again = await u.call('PUT', `${KEYS}?version=${version}`, body);
  assert.deepEqual(again.json, r.json, 'a repeated PUT is a no-op');
  const got = (await u.call('GET', `${KEYS}?version=${version}`)).json;
  assert.equal(Object.keys(got.rooms['!r:localhost'].sessions).length, 2500);

  // A missing table (a database not migrated): 500 M_UNKNOWN, not a crash;
  // the Worker keeps serving other users.
  await db.prepare('ALTER TABLE backup_keys RENAME TO backup_keys_away').run();
  r = await u.call('GET', `${KEYS}/${enc('!r:localhost')}/s00001?version=${version}`);
  assert.equal(r.status, 500, r.text);
  assert.equal(r.json.errcode, 'M_UNKNOWN');
  await db.prepare('ALTER TABLE backup_keys_away RENAME TO backup_keys').run();
  r = await u.call('GET', `${KEYS}/${enc('!r:localhost')}/s00001?version=${version}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.first_message_index, 1);
});
