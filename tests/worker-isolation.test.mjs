// The backup Worker never lets one user read, write, count or learn the
// existence of another user's backup: for every route, user B's token on
// user A's data is refused with the same answer B gets for data that does
// not exist at all, and A's backup is unchanged afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { KEYS, VERSION, enc, keyData, newVersion, startStack } from './helpers/backup-worker.mjs';

let stack;
before(async () => { stack = await startStack(); }, { timeout: 180000 });
after(async () => { await stack?.stop(); });

const ROOM = '!secret:localhost';

test('user B cannot reach user A\'s backup through any route', { timeout: 120000 }, async () => {
  const a = await stack.user();
  const b = await stack.user();
  const { version: va } = await newVersion(a);
  await newVersion(a); // A's version 2 is current; version 1 is old
  const v2 = '2';
  await a.call('PUT', `${KEYS}/${enc(ROOM)}/S1?version=${v2}`, keyData({ fmi: 4 }));
  const before = (await a.call('GET', `${KEYS}?version=${v2}`)).text;
  const infoBefore = (await a.call('GET', VERSION)).json;
  assert.equal(infoBefore.count, 1);

  // B has no backup: every route on A's version ids answers as for nothing.
  const { body: bBody } = await b.device.createBackupVersion();
  const probes = [
    ['GET', VERSION],
    ['GET', `${VERSION}/${va}`],
    ['GET', `${VERSION}/${v2}`],
    ['PUT', `${VERSION}/${v2}`, { ...bBody, version: v2 }],
    ['DELETE', `${VERSION}/${v2}`],
    ['GET', `${KEYS}?version=${v2}`],
    ['GET', `${KEYS}/${enc(ROOM)}?version=${v2}`],
    ['GET', `${KEYS}/${enc(ROOM)}/S1?version=${v2}`],
    ['PUT', `${KEYS}?version=${v2}`, { rooms: { [ROOM]: { sessions: { S1: keyData() } } } }],
    ['PUT', `${KEYS}/${enc(ROOM)}?version=${v2}`, { sessions: { S1: keyData() } }],
    ['PUT', `${KEYS}/${enc(ROOM)}/S1?version=${v2}`, keyData()],
    ['DELETE', `${KEYS}?version=${v2}`],
    ['DELETE', `${KEYS}/${enc(ROOM)}?version=${v2}`],
    ['DELETE', `${KEYS}/${enc(ROOM)}/S1?version=${v2}`],
  ];
  for (const [method, path, body] of probes) {
    const r = await b.call(method, path, body);
    assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.errcode, 'M_NOT_FOUND');
    assert.ok(!r.text.includes('S1') && !r.text.includes(a.userId) && !r.text.includes(ROOM), `${method} ${path} leaks: ${r.text}`);
    // the same answer as for a version id no one has
    const none = await b.call(method, path.replace(`/${v2}`, '/999').replace(`version=${v2}`, 'version=999').replace(`/${va}`, '/999'), body);
    assert.equal(none.status, r.status);
    assert.equal(none.json.errcode, r.json.errcode);
  }

  // B makes its own backup: its version ids start over and show only B's keys.
  const { version: vb } = await newVersion(b);
  assert.equal(vb, '1');
  let r = await b.call('PUT', `${KEYS}/${enc(ROOM)}/S1?version=${vb}`, keyData({ fmi: 0, verified: true }));
  assert.equal(r.status, 200);
  assert.equal(r.json.count, 1);
  // B on A's current version id 2: B's own state decides (2 does not exist for B)
  r = await b.call('PUT', `${KEYS}?version=${v2}`, { rooms: {} });
  assert.equal(r.status, 404);
  assert.equal((await b.call('GET', VERSION)).json.version, '1');

  // A's backup is exactly as it was.
  assert.equal((await a.call('GET', `${KEYS}?version=${v2}`)).text, before);
  assert.deepEqual((await a.call('GET', VERSION)).json, infoBefore);
  assert.equal((await a.call('GET', `${VERSION}/${va}`)).status, 200);
});
