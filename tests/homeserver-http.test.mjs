// The retry policy of mx.connect's HTTP layer (jsbridge/js/http.mjs), against a
// real Synapse behind the fault proxy: 5xx and lost connections are retried
// with backoff, 429 waits the server's retry_after_ms, other 4xx are final
// and coded, a response lost after the server acted is retried safely.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { matrixHttp } from '../jsbridge/js/http.mjs';
import { startHomeserver } from '../scripts/homeserver.mjs';
import { startFaultProxy } from './helpers/fault-proxy.mjs';

let hs;
let proxy;
let alice;
before(async () => {
  hs = await startHomeserver();
  proxy = await startFaultProxy(hs.baseUrl);
  alice = await hs.registerUser('alice');
}, { timeout: 180_000 });
after(async () => {
  await proxy?.stop();
  await hs?.stop();
});

function client(retry = {}, controller = new AbortController()) {
  const retries = [];
  const http = matrixHttp({
    baseUrl: proxy.baseUrl,
    fetchImpl: fetch,
    retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200, ...retry },
    signal: controller.signal,
    getToken: () => alice.accessToken,
    onRetry: (r) => retries.push(r),
  });
  return { http, retries, controller };
}

test('5xx is retried with backoff until it succeeds', { timeout: 30_000 }, async () => {
  const { http, retries } = client();
  const before = proxy.requests('/account/whoami').length;
  const rule = proxy.addRule({ path: '/account/whoami', times: 2, respond: { status: 504 } });
  const who = await http.json('GET', '/_matrix/client/v3/account/whoami');
  assert.equal(who.user_id, alice.userId);
  assert.equal(rule.hits, 2);
  assert.equal(proxy.requests('/account/whoami').length - before, 3);
  assert.deepEqual(retries.map((r) => [r.status, r.attempt]), [[504, 1], [504, 2]]);
  assert.ok(retries[1].delayMs >= 20 && retries[1].delayMs <= 40, `second backoff doubles (jittered): ${retries[1].delayMs}`);
  proxy.removeRule(rule);
});

test('429 waits retry_after_ms from the body', { timeout: 30_000 }, async () => {
  const { http, retries } = client();
  const rule = proxy.addRule({ path: '/account/whoami', times: 1, respond: { status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 400 } } });
  const t0 = performance.now();
  await http.json('GET', '/_matrix/client/v3/account/whoami');
  const waited = performance.now() - t0;
  assert.equal(rule.hits, 1);
  assert.equal(retries[0].delayMs, 400);
  assert.ok(waited >= 390, `waited ${waited} ms`);
  proxy.removeRule(rule);
});

test('a connection reset (network error) is retried', { timeout: 30_000 }, async () => {
  const { http, retries } = client();
  const rule = proxy.addRule({ path: '/account/whoami', times: 1, reset: true });
  const who = await http.json('GET', '/_matrix/client/v3/account/whoami');
  assert.equal(who.user_id, alice.userId);
  assert.equal(rule.hits, 1);
  assert.equal(retries[0].status, 0);
  proxy.removeRule(rule);
});

test('a 4xx is final: HOMESERVER_ERROR with status and errcode, no retry', { timeout: 30_000 }, async () => {
  const { http, retries } = client();
  const n = proxy.requests(/\/join\//).length;
  await assert.rejects(http.json('POST', `/_matrix/client/v3/join/${encodeURIComponent('!nope:localhost')}`, {}), (e) => {
    assert.equal(e.name, 'MxCryptoError');
    assert.equal(e.code, 'HOMESERVER_ERROR');
    assert.ok([403, 404].includes(e.status), `status ${e.status}`);
    assert.match(e.errcode, /^M_/);
    return true;
  });
  assert.equal(proxy.requests(/\/join\//).length - n, 1);
  assert.equal(retries.length, 0);
  // allowError hands the final answer back instead.
  const r = await http.request('GET', '/_matrix/client/v3/room_keys/version', null, { allowError: true });
  assert.equal(r.status, 404);
  assert.equal(r.body.errcode, 'M_NOT_FOUND');
});

test('retries are bounded: after maxAttempts the 5xx is reported', { timeout: 30_000 }, async () => {
  const { http } = client({ maxAttempts: 3 });
  const rule = proxy.addRule({ path: '/account/whoami', respond: { status: 502 } });
  await assert.rejects(http.json('GET', '/_matrix/client/v3/account/whoami'), (e) => e.code === 'HOMESERVER_ERROR' && e.status === 502);
  assert.equal(rule.hits, 3);
  proxy.removeRule(rule);
});

test('a response lost after the server acted is retried; the txn id makes it happen once', { timeout: 30_000 }, async () => {
  const { http } = client();
  const room = await http.json('POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat' });
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room.room_id)}/send/m.room.message/txn-drop-1`;
  const rule = proxy.addRule({ path: '/send/m.room.message/txn-drop-1', times: 1, drop: true });
  const sent = await http.json('PUT', path, { msgtype: 'm.text', body: 'once' });
  assert.equal(rule.hits, 1);
  const dropped = proxy.requests('/send/m.room.message/txn-drop-1').find((e) => e.status === 'dropped');
  assert.equal(dropped.serverStatus, 200, 'the server had processed the request');
  assert.equal(dropped.responseBody.event_id, sent.event_id, 'the retry got the same event back');
  const msgs = await http.json('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room.room_id)}/messages?dir=b&limit=50`);
  assert.equal(msgs.chunk.filter((e) => e.type === 'm.room.message' && e.content.body === 'once').length, 1);
  proxy.removeRule(rule);
});

test('aborting stops a retry wait with CLOSED', { timeout: 30_000 }, async () => {
  const { http, controller } = client({ baseDelayMs: 10_000, maxDelayMs: 10_000 });
  const rule = proxy.addRule({ path: '/account/whoami', respond: { status: 503 } });
  const p = http.json('GET', '/_matrix/client/v3/account/whoami');
  await proxy.waitFor((e) => e.path.endsWith('/account/whoami') && e.status === 503);
  const t0 = performance.now();
  controller.abort();
  await assert.rejects(p, (e) => e.code === 'CLOSED');
  assert.ok(performance.now() - t0 < 2000);
  proxy.removeRule(rule);
});
