// The backup Worker's conformance suite: every backup route and error under
// workerd (miniflare) with local D1, Synapse as the upstream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { KEYS, VERSION, call, enc, keyData, newVersion, sessionData, startStack } from './helpers/backup-worker.mjs';

let stack;
before(async () => { stack = await startStack({ vars: { MAX_BODY_BYTES: String(1 << 20) } }); }, { timeout: 180000 });
after(async () => { await stack?.stop(); });

const R1 = '!room1:localhost';
const R2 = '!room/2:localhost'; // a '/' in an id must survive the path
const keysPath = (v, room, session) => `${KEYS}${room ? `/${enc(room)}` : ''}${session ? `/${enc(session)}` : ''}?version=${v}`;

function assertError(r, status, errcode) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.errcode, errcode, r.text);
  assert.equal(typeof r.json.error, 'string');
}

describe('versions', { timeout: 120000 }, () => {
  test('lifecycle: none, create, latest, by id, update, delete, fallback to the newest remaining, ids never reused', async () => {
    const u = await stack.user();
    assertError(await u.call('GET', VERSION), 404, 'M_NOT_FOUND');

    const v1 = await newVersion(u);
    assert.equal(v1.version, '1');
    let r = await u.call('GET', VERSION);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { algorithm: v1.body.algorithm, auth_data: v1.body.auth_data, count: 0, etag: r.json.etag, version: '1' });
    assert.equal(typeof r.json.etag, 'string');

    const v2 = await newVersion(u);
    assert.equal(v2.version, '2');
    assert.equal((await u.call('GET', VERSION)).json.version, '2');
    r = await u.call('GET', `${VERSION}/1`);
    assert.equal(r.json.version, '1');
    assert.deepEqual(r.json.auth_data, v1.body.auth_data);
    // unstable and r0 prefixes are the same API
    assert.equal((await u.call('GET', '/_matrix/client/unstable/room_keys/version/1')).json.version, '1');

    // update: new signed auth_data; the version in the body must match
    const { body: again } = await u.device.createBackupVersion();
    assert.deepEqual((await u.call('PUT', `${VERSION}/2`, { ...again, version: '2' })).json, {});
    assert.deepEqual((await u.call('GET', `${VERSION}/2`)).json.auth_data, again.auth_data);
    assertError(await u.call('PUT', `${VERSION}/2`, { ...again, version: '1' }), 400, 'M_INVALID_PARAM');
    assertError(await u.call('PUT', `${VERSION}/2`, { ...again, algorithm: 'm.other' }), 400, 'M_INVALID_PARAM');
    assertError(await u.call('PUT', `${VERSION}/9`, again), 404, 'M_NOT_FOUND');

    assert.deepEqual((await u.call('DELETE', `${VERSION}/2`)).json, {});
    assert.equal((await u.call('GET', VERSION)).json.version, '1');
    assertError(await u.call('GET', `${VERSION}/2`), 404, 'M_NOT_FOUND');
    assertError(await u.call('DELETE', `${VERSION}/2`), 404, 'M_NOT_FOUND');
    assertError(await u.call('GET', `${VERSION}/abc`), 404, 'M_NOT_FOUND');
    assert.equal((await newVersion(u)).version, '3');
    await u.call('DELETE', `${VERSION}/3`);
    await u.call('DELETE', `${VERSION}/1`);
    assertError(await u.call('GET', VERSION), 404, 'M_NOT_FOUND');
  });

  test('auth_data must carry a valid signature of one of the user\'s own devices', async () => {
    const u = await stack.user();
    const other = await stack.user();
    const { body } = await u.device.createBackupVersion();
    const { body: othersBody } = await other.device.createBackupVersion();
    const unsigned = { ...body, auth_data: { public_key: body.auth_data.public_key } };
    assertError(await u.call('POST', VERSION, unsigned), 400, 'M_INVALID_PARAM');
    // another user's device signature, under the other user's id
    assertError(await u.call('POST', VERSION, othersBody), 400, 'M_INVALID_PARAM');
    // the right signature moved onto another public key
    const swapped = { ...body, auth_data: { ...body.auth_data, public_key: othersBody.auth_data.public_key } };
    assertError(await u.call('POST', VERSION, swapped), 400, 'M_INVALID_PARAM');
    // a device id that is not the user's
    const sigs = body.auth_data.signatures[u.userId];
    const renamed = { ...body, auth_data: { ...body.auth_data, signatures: { [u.userId]: { 'ed25519:NOTMINE': Object.values(sigs)[0] } } } };
    assertError(await u.call('POST', VERSION, renamed), 400, 'M_INVALID_PARAM');
    assertError(await u.call('GET', VERSION), 404, 'M_NOT_FOUND');
    assert.equal((await u.call('POST', VERSION, body)).status, 200);
  });
});

describe('keys', { timeout: 120000 }, () => {
  test('PUT and GET at the three levels, count and etag', async () => {
    const u = await stack.user();
    const { version } = await newVersion(u);
    const a = keyData({ fmi: 3 });
    const b = keyData({ fmi: 1, fc: 2, verified: true });
    const c = keyData();
    let r = await u.call('PUT', keysPath(version, R1, 'sessA'), a);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.count, 1);
    const etag1 = r.json.etag;
    r = await u.call('PUT', keysPath(version, R2), { sessions: { sessB: b } });
    assert.equal(r.json.count, 2);
    assert.notEqual(r.json.etag, etag1);
    r = await u.call('PUT', keysPath(version), { rooms: { [R2]: { sessions: { 'sess/C': c } } } });
    assert.equal(r.json.count, 3);
    const etag3 = r.json.etag;

    r = await u.call('GET', keysPath(version));
    assert.deepEqual(r.json, { rooms: { [R1]: { sessions: { sessA: a } }, [R2]: { sessions: { sessB: b, 'sess/C': c } } } });
    assert.deepEqual((await u.call('GET', keysPath(version, R2))).json, { sessions: { sessB: b, 'sess/C': c } });
    assert.deepEqual((await u.call('GET', keysPath(version, R2, 'sess/C'))).json, c);
    assert.deepEqual((await u.call('GET', keysPath(version, '!empty:localhost'))).json, { sessions: {} });
    assertError(await u.call('GET', keysPath(version, R1, 'nope')), 404, 'M_NOT_FOUND');
    r = await u.call('GET', VERSION);
    assert.equal(r.json.count, 3);
    assert.equal(r.json.etag, etag3);

    // the same data again changes nothing, not even the etag
    r = await u.call('PUT', keysPath(version), { rooms: { [R1]: { sessions: { sessA: a } } } });
    assert.deepEqual(r.json, { count: 3, etag: etag3 });
    // an empty body stores nothing
    assert.deepEqual((await u.call('PUT', keysPath(version), { rooms: {} })).json, { count: 3, etag: etag3 });

    // DELETE at the three levels
    r = await u.call('DELETE', keysPath(version, R2, 'sess/C'));
    assert.equal(r.json.count, 2);
    assert.equal(r.json.etag, (await u.call('GET', VERSION)).json.etag);
    r = await u.call('DELETE', keysPath(version, R2));
    assert.equal(r.json.count, 1);
    assert.deepEqual((await u.call('GET', keysPath(version))).json, { rooms: { [R1]: { sessions: { sessA: a } } } });
    r = await u.call('DELETE', keysPath(version));
    assert.equal(r.json.count, 0);
    assert.deepEqual((await u.call('GET', keysPath(version))).json, { rooms: {} });
    // put back what was there: the etag is derived from the data
    r = await u.call('PUT', keysPath(version, R1, 'sessA'), a);
    assert.equal(r.json.etag, etag1);
  });

  for (const level of ['session', 'room', 'all']) {
    test(`better-key rule at the ${level} level`, async () => {
      const u = await stack.user();
      const { version } = await newVersion(u);
      const put = (k) => {
        if (level === 'session') return u.call('PUT', keysPath(version, R1, 'S'), k);
        if (level === 'room') return u.call('PUT', keysPath(version, R1), { sessions: { S: k } });
        return u.call('PUT', keysPath(version), { rooms: { [R1]: { sessions: { S: k } } } });
      };
      const stored = async () => (await u.call('GET', keysPath(version, R1, 'S'))).json;
      const steps = [
        // [offered, kept?]
        [keyData({ fmi: 5, fc: 3 }), true],
        [keyData({ fmi: 6, fc: 0 }), false], // higher index loses
        [keyData({ fmi: 5, fc: 4 }), false], // same index, more forwards loses
        [keyData({ fmi: 5, fc: 3 }), false], // a tie keeps the stored key
        [keyData({ fmi: 5, fc: 1 }), true], // same index, fewer forwards wins
        [keyData({ fmi: 2, fc: 9 }), true], // lower index wins
        [keyData({ fmi: 9, fc: 9, verified: true }), true], // verified beats unverified
        [keyData({ fmi: 0, fc: 0, verified: false }), false], // unverified never replaces verified
        [keyData({ fmi: 8, fc: 9, verified: true }), true],
      ];
      let current;
      let etag;
      for (const [offered, kept] of steps) {
        const r = await put(offered);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.count, 1);
        if (kept) {
          current = offered;
          if (etag) assert.notEqual(r.json.etag, etag);
        } else {
          assert.equal(r.json.etag, etag, 'etag changes only when stored data does');
        }
        etag = r.json.etag;
        assert.deepEqual(await stored(), current);
      }
    });
  }

  test('stale and unknown versions', async () => {
    const u = await stack.user();
    assertError(await u.call('PUT', keysPath('1', R1, 'S'), keyData()), 404, 'M_NOT_FOUND');
    const { version: v1 } = await newVersion(u);
    await u.call('PUT', keysPath(v1, R1, 'S'), keyData());
    const { version: v2 } = await newVersion(u);
    for (const r of [
      await u.call('PUT', keysPath(v1, R1, 'T'), keyData()),
      await u.call('PUT', keysPath(v1, R1), { sessions: { T: keyData() } }),
      await u.call('PUT', keysPath(v1), { rooms: {} }),
    ]) {
      assertError(r, 403, 'M_WRONG_ROOM_KEYS_VERSION');
      assert.equal(r.json.current_version, v2); // the current one, not the requested
    }
    // the old version is still readable and deletable
    assert.equal(Object.keys((await u.call('GET', keysPath(v1))).json.rooms[R1].sessions).length, 1);
    assert.equal((await u.call('GET', `${VERSION}/${v1}`)).json.count, 1);
    assertError(await u.call('GET', keysPath('77')), 404, 'M_NOT_FOUND');
    assertError(await u.call('PUT', keysPath('77', R1, 'S'), keyData()), 404, 'M_NOT_FOUND');
    assertError(await u.call('DELETE', keysPath('77')), 404, 'M_NOT_FOUND');
    assertError(await u.call('GET', KEYS), 400, 'M_MISSING_PARAM');
    // deleting a version deletes its keys
    await u.call('DELETE', `${VERSION}/${v1}`);
    assertError(await u.call('GET', keysPath(v1)), 404, 'M_NOT_FOUND');
  });

  test('validation answers 400 (never 500) and stores nothing', async () => {
    const u = await stack.user();
    const { version } = await newVersion(u);
    const good = keyData();
    const cases = [
      ['not JSON', '{"rooms":', 'M_NOT_JSON', true],
      ['array', [], 'M_BAD_JSON'],
      ['rooms missing', {}, 'M_BAD_JSON'],
      ['rooms not an object', { rooms: [] }, 'M_BAD_JSON'],
      ['sessions missing', { rooms: { [R1]: {} } }, 'M_BAD_JSON'],
      ['key not an object', { rooms: { [R1]: { sessions: { S: 1 } } } }, 'M_BAD_JSON'],
      ['first_message_index missing', { rooms: { [R1]: { sessions: { S: { ...good, first_message_index: undefined } } } } }, 'M_BAD_JSON'],
      ['first_message_index negative', { rooms: { [R1]: { sessions: { S: { ...good, first_message_index: -1 } } } } }, 'M_BAD_JSON'],
      ['first_message_index fractional', { rooms: { [R1]: { sessions: { S: { ...good, first_message_index: 1.5 } } } } }, 'M_BAD_JSON'],
      ['forwarded_count a string', { rooms: { [R1]: { sessions: { S: { ...good, forwarded_count: '1' } } } } }, 'M_BAD_JSON'],
      ['is_verified a number', { rooms: { [R1]: { sessions: { S: { ...good, is_verified: 1 } } } } }, 'M_BAD_JSON'],
      ['session_data a string', { rooms: { [R1]: { sessions: { S: { ...good, session_data: 'x' } } } } }, 'M_BAD_JSON'],
      ['mac missing', { rooms: { [R1]: { sessions: { S: { ...good, session_data: { ...good.session_data, mac: undefined } } } } } }, 'M_BAD_JSON'],
      ['ciphertext not base64', { rooms: { [R1]: { sessions: { S: { ...good, session_data: { ...good.session_data, ciphertext: '!!!!' } } } } } }, 'M_INVALID_PARAM'],
      ['ephemeral too short', { rooms: { [R1]: { sessions: { S: { ...good, session_data: { ...good.session_data, ephemeral: 'AAAA' } } } } } }, 'M_INVALID_PARAM'],
      ['ciphertext not whole blocks', { rooms: { [R1]: { sessions: { S: { ...good, session_data: { ...good.session_data, ciphertext: 'AAAAAAAA' } } } } } }, 'M_INVALID_PARAM'],
      ['one bad key among good ones', { rooms: { [R1]: { sessions: { A: good, S: { ...good, is_verified: null } } } } }, 'M_BAD_JSON'],
    ];
    for (const [name, body, errcode, raw] of cases) {
      const r = await u.call('PUT', keysPath(version), body, { raw });
      assertError(r, 400, errcode);
      assert.ok(r.status < 500, name);
    }
    assertError(await u.call('PUT', keysPath(version, R1, 'S'), 'nope', { raw: true }), 400, 'M_NOT_JSON');
    assertError(await u.call('PUT', keysPath(version, R1), { sessions: [] }), 400, 'M_BAD_JSON');
    assertError(await u.call('POST', VERSION, '{', { raw: true }), 400, 'M_NOT_JSON');
    assertError(await u.call('POST', VERSION, { algorithm: 1, auth_data: {} }), 400, 'M_BAD_JSON');
    assertError(await u.call('POST', VERSION, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'AAAA' } }), 400, 'M_INVALID_PARAM');
    // oversize: 413 M_TOO_LARGE (limit set to 1 MiB for this suite)
    const big = { rooms: { [R1]: { sessions: {} } } };
    for (let i = 0; i < 1500; i++) big.rooms[R1].sessions[`s${i}`] = keyData({ data: sessionData(40) });
    assertError(await u.call('PUT', keysPath(version), big), 413, 'M_TOO_LARGE');
    const r = await u.call('GET', VERSION);
    assert.equal(r.json.count, 0);
    // unknown methods on backup routes
    assertError(await u.call('POST', keysPath(version)), 405, 'M_UNRECOGNIZED');
    assertError(await u.call('GET', '/_matrix/client/v3/room_keys/nothing'), 404, 'M_UNRECOGNIZED');
  });
});

describe('auth, CORS and the proxy', { timeout: 120000 }, () => {
  test('401 M_MISSING_TOKEN and M_UNKNOWN_TOKEN on every backup route; access_token query works', async () => {
    const u = await stack.user();
    await newVersion(u);
    const routes = [['GET', VERSION], ['POST', VERSION], ['GET', `${VERSION}/1`], ['PUT', `${VERSION}/1`], ['DELETE', `${VERSION}/1`],
      ['GET', keysPath('1')], ['PUT', keysPath('1', R1)], ['DELETE', keysPath('1', R1, 'S')]];
    for (const [method, path] of routes) {
      assertError(await call(stack.url, null, method, path, method === 'GET' || method === 'DELETE' ? undefined : {}), 401, 'M_MISSING_TOKEN');
      assertError(await call(stack.url, 'syt_not_a_token', method, path, method === 'GET' || method === 'DELETE' ? undefined : {}), 401, 'M_UNKNOWN_TOKEN');
    }
    const sep = VERSION.includes('?') ? '&' : '?';
    const r = await call(stack.url, null, 'GET', `${VERSION}${sep}access_token=${enc(u.accessToken)}`);
    assert.equal(r.status, 200, r.text);
    // a logged-out token is refused once the short auth cache lapses (set to 30 s; a fresh token here)
    const phone = await stack.hs.login(u.userId.slice(1).split(':')[0], u.password, { deviceId: 'PHONE' });
    await fetch(`${stack.hs.baseUrl}/_matrix/client/v3/logout`, { method: 'POST', headers: { Authorization: `Bearer ${phone.accessToken}` } });
    assertError(await call(stack.url, phone.accessToken, 'GET', VERSION), 401, 'M_UNKNOWN_TOKEN');
  });

  test('own answers carry the homeserver\'s CORS headers; OPTIONS passes through', async () => {
    const u = await stack.user();
    const viaWorker = await call(stack.url, null, 'GET', '/_matrix/client/versions');
    const direct = await call(stack.hs.baseUrl, null, 'GET', '/_matrix/client/versions');
    const own = await u.call('GET', VERSION);
    const cors = (h) => Object.fromEntries([...h].filter(([k]) => k.startsWith('access-control-')));
    assert.ok(Object.keys(cors(direct.headers)).length >= 3);
    assert.deepEqual(cors(viaWorker.headers), cors(direct.headers));
    assert.deepEqual(cors(own.headers), cors(direct.headers));
    assert.equal(own.headers.get('content-type'), 'application/json');
    const preflight = { 'Origin': 'https://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization' };
    const p1 = await call(stack.url, null, 'OPTIONS', keysPath('1'), undefined, { headers: preflight });
    const p2 = await call(stack.hs.baseUrl, null, 'OPTIONS', keysPath('1'), undefined, { headers: preflight });
    assert.equal(p1.status, p2.status);
    assert.deepEqual(cors(p1.headers), cors(p2.headers));
  });

  test('everything else is proxied: method, path, query, headers, status, body', async () => {
    const u = await stack.user();
    const q = { device_keys: { [u.userId]: [] } };
    const a = await u.call('POST', '/_matrix/client/v3/keys/query', q);
    const b = await call(stack.hs.baseUrl, u.accessToken, 'POST', '/_matrix/client/v3/keys/query', q);
    assert.equal(a.status, 200);
    assert.deepEqual(a.json.device_keys, b.json.device_keys);
    const who = await u.call('GET', '/_matrix/client/v3/account/whoami');
    assert.equal(who.json.user_id, u.userId);
    // status and error body of the upstream
    const missing = await u.call('GET', '/_matrix/client/v3/no/such/endpoint');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.errcode, 'M_UNRECOGNIZED');
    // query string reaches upstream: a filter round trip
    const f = await u.call('POST', `/_matrix/client/v3/user/${enc(u.userId)}/filter`, { room: { timeline: { limit: 3 } } });
    const got = await u.call('GET', `/_matrix/client/v3/user/${enc(u.userId)}/filter/${f.json.filter_id}?x=1`);
    assert.deepEqual(got.json.room.timeline, { limit: 3 });
    // PUT body with account data through the proxy
    assert.equal((await u.call('PUT', `/_matrix/client/v3/user/${enc(u.userId)}/account_data/org.example.t`, { n: 1 })).status, 200);
    assert.deepEqual((await call(stack.hs.baseUrl, u.accessToken, 'GET', `/_matrix/client/v3/user/${enc(u.userId)}/account_data/org.example.t`)).json, { n: 1 });
    // a response header set by the homeserver passes
    assert.ok(a.headers.get('content-type').startsWith('application/json'));
  });
});
