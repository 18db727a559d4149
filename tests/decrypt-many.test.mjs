// backup.decryptMany: the WebCrypto fast path and the Go path agree on order,
// validation and progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

const fast = await init();
const goOnly = await init({ webCrypto: false });
const key = await fast.backup.createKey();

async function body(roomIds, sessionIds) {
  const rooms = {};
  for (const r of roomIds) {
    rooms[r] = { sessions: {} };
    for (const s of sessionIds) {
      rooms[r].sessions[s] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: await fast.backup.encrypt(key.publicKey, { r, s }) };
    }
  }
  return { rooms };
}

test('both paths return sessions in code point order, even past U+FFFF', async () => {
  // UTF-16 order would put the astral 😀 (D83D DE00) before U+E000; code point order after.
  const ids = ['\u{E000}', '😀', 'a', 'Z', 'ä', '\u{10000}', '\u{FFFF}'];
  const b = await body(['!b', '!a'], ids);
  const want = [];
  for (const r of ['!a', '!b']) for (const s of [...ids].sort((x, y) => (x === y ? 0 : [...x][0].codePointAt(0) - [...y][0].codePointAt(0)))) want.push(`${r}|${s}`);
  for (const mx of [fast, goOnly]) {
    const res = await mx.backup.decryptMany(key.privateKey, b);
    assert.deepEqual(res.sessions.map((x) => `${x.roomId}|${x.sessionId}`), want);
    for (const x of res.sessions) assert.deepEqual(x.sessionData, { r: x.roomId, s: x.sessionId });
    assert.deepEqual(res.failures, []);
  }
});

test('both paths reject a malformed body with BAD_INPUT', async () => {
  for (const bad of [{ rooms: { '!r': [] } }, { rooms: { '!r': { sessions: null } } }, { rooms: { '!r': {} } }, {}, { rooms: 5 }]) {
    for (const mx of [fast, goOnly]) {
      await assert.rejects(mx.backup.decryptMany(key.privateKey, bad), (e) => e.code === 'BAD_INPUT', JSON.stringify(bad));
    }
  }
});

test('progress is reported up to the total, in order', async () => {
  const b = await body(['!r'], Array.from({ length: 700 }, (_, i) => `s${i}`));
  for (const mx of [fast, goOnly]) {
    const seen = [];
    const res = await mx.backup.decryptMany(key.privateKey, b, { onProgress: (done, total) => seen.push([done, total]) });
    assert.equal(res.sessions.length, 700);
    assert.ok(seen.length >= 2);
    assert.deepEqual(seen.at(-1), [700, 700]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] > seen[i - 1][0]);
  }
});

test('a low-order ephemeral key is BAD_MESSAGE on every path, and the good entries still decrypt', async () => {
  const good = await body(['!r'], ['a', 'b']);
  const lowOrder = ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'];
  lowOrder.forEach((ephemeral, i) => {
    good.rooms['!r'].sessions[`low${i}`] = { session_data: { ...good.rooms['!r'].sessions.a.session_data, ephemeral } };
  });
  for (const mx of [fast, goOnly]) {
    const res = await mx.backup.decryptMany(key.privateKey, good, { workers: 0 });
    assert.deepEqual(res.sessions.map((s) => s.sessionId), ['a', 'b']);
    assert.deepEqual(res.failures, [{ roomId: '!r', sessionId: 'low0', code: 'BAD_MESSAGE' }, { roomId: '!r', sessionId: 'low1', code: 'BAD_MESSAGE' }]);
  }
});

test('worker threads give the same result as one thread, with progress', async () => {
  const ids = Array.from({ length: 1200 }, (_, i) => `s${i}`);
  const b = await body(['!x', '!y'], ids);
  b.rooms['!y'].sessions.s5.session_data.mac = 'AAAAAAAAAAA';
  const single = await fast.backup.decryptMany(key.privateKey, b, { workers: 0 });
  const seen = [];
  const multi = await fast.backup.decryptMany(key.privateKey, b, { workers: 2, onProgress: (done, total) => seen.push([done, total]) });
  assert.equal(multi.sessions.length, 2399);
  assert.deepEqual(multi, single);
  assert.deepEqual(multi.failures, [{ roomId: '!y', sessionId: 's5', code: 'WRONG_KEY' }]);
  assert.deepEqual(seen.at(-1), [2400, 2400]);
  // Each worker's share sent in several slices: still in order.
  assert.deepEqual(await fast.backup.decryptMany(key.privateKey, b, { workers: 3, _workerSlice: 300 }), single);
});
