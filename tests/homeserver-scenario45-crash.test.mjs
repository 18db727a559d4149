// Issue 13, scenarios 4 and 5: our client is SIGKILLed at the worst moments
// and restarted on the same key store (files), against a real Synapse.
//  4. After /keys/upload reached the server and before its response was
//     processed: after the restart nothing is uploaded twice under one id
//     (every upload body the proxy saw agrees on each key id, and Synapse
//     refused none), and a session a Rust client made from the keys the
//     server kept decrypts.
//  5. After a /sync response with to-device events arrived and before they
//     were processed: after the restart none is lost (the sync token had not
//     advanced; the room key arrives again and the message decrypts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { matrixRequest } from './helpers/rust-client.mjs';
import { synapseFixture } from './helpers/synapse-fixture.mjs';

const CHILD = fileURLToPath(new URL('./helpers/connect-crash-child.mjs', import.meta.url));

let fx;
const dirs = [];
const children = new Set();
before(async () => { fx = await synapseFixture(); }, { timeout: 180_000 });
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await fx?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts the child; lines() lists its parsed output, waitFor(pred) resolves on a matching line. */
function startChild(config) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines = [];
  const waiters = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0;) {
      const line = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  return {
    child,
    lines,
    exited,
    waitFor(pred, timeoutMs = 60_000, what = 'a line') {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        const t = setTimeout(() => reject(new Error(`child: timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        exited.then(({ code, signal }) => { if (waiters.includes(w)) { clearTimeout(t); reject(new Error(`child exited (${code ?? signal}) before ${what}: ${stderr.slice(-2000)}`)); } });
        w.resolve = (v) => { clearTimeout(t); resolve(v); };
      });
    },
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

function newStore() {
  const dir = mkdtempSync(join(tmpdir(), 'mxcrypto-connect-crash-'));
  dirs.push(dir);
  return { storeDir: dir, storeKeyHex: randomBytes(32).toString('hex') };
}

/** keyId → key over upload bodies; fails if an id came with two keys. */
function assertNoIdReused(bodies) {
  const seen = new Map();
  for (const b of bodies) {
    for (const field of ['one_time_keys', 'fallback_keys']) {
      for (const [id, v] of Object.entries(b?.[field] ?? {})) {
        if (seen.has(id)) assert.equal(seen.get(id), v.key, `key id ${id} uploaded with two different keys`);
        seen.set(id, v.key);
      }
    }
  }
  return seen;
}

const text = (body) => ({ msgtype: 'm.text', body });

/** Bob (Rust) makes an encrypted room with alice in it (joined over plain HTTP: no client of hers runs). */
async function roomWithAlice(bob, alice) {
  const roomId = await bob.createEncryptedRoom({ invite: [alice.userId] });
  await matrixRequest(fx.proxy.baseUrl, alice.accessToken, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  return roomId;
}

test('scenario 4: killed after /keys/upload reached the server → no id uploaded twice, server-kept keys still work', { timeout: 180_000 }, async () => {
  const alice = await fx.login('alice4');
  const store = newStore();
  const base = { homeserverUrl: fx.proxy.baseUrl, accessToken: alice.accessToken, ...store };

  const first = startChild({ ...base, freezeAfter: 'keys_upload' });
  await first.waitFor((l) => l.frozen === 'keys_upload', 60_000, 'the upload to reach the server');
  assert.equal((await first.kill()).signal, 'SIGKILL');
  const uploads = () => fx.proxy.requests('/keys/upload').filter((e) => e.token === alice.accessToken);
  assert.equal(uploads().length, 1);
  assert.equal(uploads()[0].status, 200, 'the server took the first upload');
  const firstBody = uploads()[0].requestBody;

  // Bob claims one of the keys the server kept and sends alice a message over it.
  const bob = await fx.rust('bob4');
  const roomId = await roomWithAlice(bob, alice);
  await bob.sendMessage(roomId, text('over a key from the killed upload'));
  const claims = fx.proxy.requests('/keys/claim').filter((e) => e.token === bob.accessToken);
  const claimed = Object.entries(claims.at(-1).responseBody.one_time_keys[alice.userId][alice.deviceId])[0];
  assert.ok(claimed, 'bob claimed a key of alice');
  const [claimedId, claimedKey] = claimed;
  assert.equal(claimedKey.key, (firstBody.one_time_keys[claimedId] ?? firstBody.fallback_keys?.[claimedId]).key, 'the claimed key is from the killed upload');

  // Restart on the same store: the upload goes again (same ids, same keys), then the message decrypts.
  const second = startChild(base);
  const ready = await second.waitFor((l) => l.ready, 60_000, 'the restarted client');
  assert.equal(ready.ready.deviceId, alice.deviceId);
  const got = await second.waitFor((l) => l.event?.body === 'over a key from the killed upload', 60_000, 'the message to decrypt after the restart');
  assert.equal(got.event.sender, bob.userId);
  assert.equal(got.event.senderDevice, bob.deviceId);
  for (const u of uploads()) assert.equal(u.status, 200, `an upload was refused: ${JSON.stringify(u.responseBody)}`);
  // The unanswered upload went again as it was (same ids, same keys), and Synapse accepted it.
  assert.ok(uploads().length >= 2);
  assert.deepEqual(uploads()[1].requestBody, firstBody);
  const ids = assertNoIdReused(uploads().map((u) => u.requestBody));
  assert.ok(ids.size >= Object.keys(firstBody.one_time_keys).length);
  await second.kill();
});

test('scenario 5: killed after a /sync with to-device events arrived → nothing lost after the restart', { timeout: 180_000 }, async () => {
  const alice = await fx.login('alice5');
  const store = newStore();
  const base = { homeserverUrl: fx.proxy.baseUrl, accessToken: alice.accessToken, ...store };

  const first = startChild({ ...base, freezeAfter: 'sync_with_to_device' });
  await first.waitFor((l) => l.ready, 60_000, 'the first client');
  const bob = await fx.rust('bob5');
  const roomId = await roomWithAlice(bob, alice);
  await bob.sendMessage(roomId, text('room key in the lost sync'));
  await first.waitFor((l) => l.frozen === 'sync_with_to_device', 60_000, 'the /sync with the room key');
  assert.equal((await first.kill()).signal, 'SIGKILL');
  assert.ok(!first.lines.some((l) => l.event?.body === 'room key in the lost sync'), 'the first client never processed it');
  const frozenSync = fx.proxy.requests('/sync').filter((e) => e.token === alice.accessToken && (e.responseBody?.to_device?.events ?? []).length).at(-1);
  const lostEvents = frozenSync.responseBody.to_device.events;
  assert.ok(lostEvents.some((t) => t.type === 'm.room.encrypted' && t.sender === bob.userId));

  const second = startChild(base);
  const got = await second.waitFor((l) => l.event?.body === 'room key in the lost sync', 60_000, 'the message after the restart');
  assert.equal(got.event.sender, bob.userId);
  assert.equal(got.event.senderDevice, bob.deviceId);
  // The restarted client asked from the old token: the server sent the same to-device events again.
  const again = fx.proxy.requests('/sync').filter((e) => e.token === alice.accessToken && e.at > frozenSync.at)
    .flatMap((e) => e.responseBody?.to_device?.events ?? []);
  for (const lost of lostEvents) assert.ok(again.some((t) => JSON.stringify(t) === JSON.stringify(lost)), 'a lost to-device event came again');
  await second.kill();
});
