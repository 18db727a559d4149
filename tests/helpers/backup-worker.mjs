// The backup Worker suite's fixture: Synapse (scripts/homeserver.mjs) as the
// upstream, the Worker under workerd (scripts/worker.mjs) in front of it with
// two local D1 databases, and users whose mxcrypto device has published its
// keys, so the auth_data it signs is checkable against /keys/query.
import { randomBytes } from 'node:crypto';

import { startHomeserver } from '../../scripts/homeserver.mjs';
import { buildWorker, startWorker } from '../../scripts/worker.mjs';
import { init } from 'mxcrypto';

let built = false;

export async function startStack({ vars = {}, dbs } = {}) {
  if (!built) { buildWorker({ quiet: true }); built = true; }
  const mx = await init();
  const hs = await startHomeserver();
  let worker;
  try {
    worker = await startWorker({ upstreamUrl: hs.baseUrl, vars, dbs });
  } catch (e) {
    await hs.stop();
    throw e;
  }
  let n = 0;
  return {
    hs,
    worker,
    mx,
    url: worker.url,
    // user registers a fresh user and opens an mxcrypto device with its
    // device id, uploading the device keys to Synapse.
    async user(name = `u${n++}x${randomBytes(3).toString('hex')}`) {
      const account = await hs.registerUser(name);
      const device = await mx.openDevice({ userId: account.userId, deviceId: account.deviceId, store: `bw-${name}`, backend: 'memory', storeKey: randomBytes(32) });
      const upload = await device.keysForUpload();
      const res = await fetch(`${hs.baseUrl}/_matrix/client/v3/keys/upload`, {
        method: 'POST', headers: { Authorization: `Bearer ${account.accessToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(upload),
      });
      if (res.status !== 200) throw new Error(`keys/upload: ${res.status} ${await res.text()}`);
      await device.markKeysUploaded(await res.json());
      return { ...account, device, call: (method, path, body, opts) => call(worker.url, account.accessToken, method, path, body, opts) };
    },
    async stop() {
      await worker.stop().catch(() => {});
      await hs.stop();
    },
  };
}

// call sends one request to base+path with the token; body objects are JSON.
// Returns { status, json, text, headers, ms }.
export async function call(base, token, method, path, body, { headers = {}, raw = false } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    payload = raw ? body : JSON.stringify(body);
    h['Content-Type'] ??= 'application/json';
  }
  const t0 = performance.now();
  const res = await fetch(base + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(60000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers, ms };
}

const b64 = (n) => randomBytes(n).toString('base64').replace(/=+$/, '');

// sessionData is a well-formed m.megolm_backup.v1.curve25519-aes-sha2
// session_data (random bytes of the right sizes: the server cannot decrypt it).
export function sessionData(blocks = 10) {
  return { ephemeral: b64(32), ciphertext: b64(16 * blocks), mac: b64(8) };
}

export function keyData({ fmi = 0, fc = 0, verified = false, data = sessionData() } = {}) {
  return { first_message_index: fmi, forwarded_count: fc, is_verified: verified, session_data: data };
}

export const KEYS = '/_matrix/client/v3/room_keys/keys';
export const VERSION = '/_matrix/client/v3/room_keys/version';
export const enc = encodeURIComponent;

// newVersion creates a backup version signed by the user's device.
export async function newVersion(user) {
  const { body } = await user.device.createBackupVersion();
  const r = await user.call('POST', VERSION, body);
  if (r.status !== 200) throw new Error(`create version: ${r.status} ${r.text}`);
  return { version: r.json.version, body };
}
