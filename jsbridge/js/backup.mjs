// Key backup on the JS side of the bridge: the parts where the host's native
// X25519 (node:crypto or WebCrypto) and worker threads make restores fast.
// Go does everything else (HKDF, the MAC check, constant-time AES-CBC).
import { decodeBase64, mxError } from './common.mjs';
import { isNode, utf8StrictDecoder } from './env.mjs';
import { decodeBatchAnswer, encodePrepareBatch, encodeSharedBatch, MAX_ID, utf8 } from './wireformat.mjs';

// --- encrypt -------------------------------------------------------------------

// backup.encrypt and backup.decrypt take one entry per call, so they are
// direct calls (direct.mjs): a trip through Go's scheduler would cost more
// than the cryptography. Arguments of the wrong shape go the Async way,
// whose argument checks give the error.
const wellFormed = (key, keyType, obj) => (keyType === 'string' ? typeof key === 'string' : key instanceof Uint8Array && key.length === 32)
  && obj !== null && typeof obj === 'object' && !(obj instanceof Uint8Array);

// backup.encrypt in a browser: both X25519 operations (a fresh ephemeral key
// pair, the shared secret) in WebCrypto, the rest in Go. In Node, Go does it
// all with node:crypto's synchronous X25519. Anything unusual (a malformed
// key, no X25519 here) goes the all-Go way, which also gives the error.
const recipientKeys = new Map(); // public key text → CryptoKey (public data)
export async function encryptForBackup(rt, publicKey, sessionData) {
  if (!wellFormed(publicKey, 'string', sessionData)) return rt.call('backup.encrypt', [publicKey, sessionData]);
  const subtle = isNode ? undefined : rt.subtle;
  const pub = subtle ? decodeBase64(publicKey) : null;
  if (!pub || pub.length !== 32 || !(await hasX25519(subtle))) return rt.direct('backup.encrypt', [publicKey, sessionData]);
  let recipient = recipientKeys.get(publicKey);
  if (!recipient) {
    recipient = await subtle.importKey('raw', pub, { name: 'X25519' }, false, []);
    if (recipientKeys.size > 64) recipientKeys.clear();
    recipientKeys.set(publicKey, recipient);
  }
  let shared, ephemeral;
  try {
    const eph = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: recipient }, eph.privateKey, 256));
    ephemeral = new Uint8Array(await subtle.exportKey('raw', eph.publicKey));
  } catch {
    return rt.direct('backup.encrypt', [publicKey, sessionData]); // low-order key: Go explains
  }
  try {
    return await rt.direct('backup._encryptShared', [shared, ephemeral, sessionData]);
  } finally {
    shared.fill(0);
  }
}

// --- decrypt -------------------------------------------------------------------

// backup.decrypt in a browser: the X25519 step in WebCrypto (Go's takes about
// 0.6 ms under wasm, two thirds of the call), the rest in Go. Node keeps the
// all-Go call: there node:crypto lends Go a synchronous X25519. Anything
// unusual goes the all-Go way, which also gives the error.
export async function decryptFromBackup(rt, privateKey, encrypted) {
  if (!wellFormed(privateKey, 'bytes', encrypted)) return rt.call('backup.decrypt', [privateKey, encrypted]);
  const subtle = isNode ? undefined : rt.subtle;
  const eph = subtle && typeof encrypted.ephemeral === 'string' ? decodeBase64(encrypted.ephemeral) : null;
  if (!eph || eph.length !== 32 || !(await hasX25519(subtle))) return rt.direct('backup.decrypt', [privateKey, encrypted]);
  let shared;
  try {
    const [priv, pub] = await Promise.all([
      recentPrivateKey(subtle, privateKey),
      subtle.importKey('raw', eph, { name: 'X25519' }, false, []),
    ]);
    shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
  } catch {
    return rt.direct('backup.decrypt', [privateKey, encrypted]); // low-order key: Go explains
  }
  try {
    return await rt.direct('backup._decryptShared', [shared, encrypted]);
  } finally {
    shared.fill(0);
  }
}

// The last private key backup.decrypt imported: importing costs as much as
// the X25519 itself, and callers decrypt many entries with one key. It is
// dropped, and its copy wiped, a second after its last use.
const RECENT_KEY_MS = 1000;
let recent = null; // { bytes, key: Promise<CryptoKey>, used, timer }
function recentPrivateKey(subtle, privateKey) {
  if (!recent || !sameBytes(recent.bytes, privateKey)) {
    forgetRecentKey();
    const pkcs8 = new Uint8Array(PKCS8_X25519_PREFIX.length + 32);
    pkcs8.set(PKCS8_X25519_PREFIX);
    pkcs8.set(privateKey, PKCS8_X25519_PREFIX.length);
    const key = subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']);
    key.finally(() => pkcs8.fill(0)).catch(() => {});
    recent = { bytes: Uint8Array.from(privateKey), key, used: 0, timer: null };
    key.catch(() => { if (recent?.key === key) forgetRecentKey(); });
    expireRecentKey(recent);
  }
  // One timer a second, not one per call: it re-arms itself while in use.
  recent.used = performance.now();
  return recent.key;
}
function expireRecentKey(entry) {
  const idle = performance.now() - entry.used;
  if (entry.used && idle >= RECENT_KEY_MS) {
    if (recent === entry) forgetRecentKey();
    return;
  }
  entry.timer = setTimeout(() => expireRecentKey(entry), entry.used ? RECENT_KEY_MS - idle : RECENT_KEY_MS);
  entry.timer.unref?.();
}
function forgetRecentKey() {
  if (!recent) return;
  clearTimeout(recent.timer);
  recent.bytes.fill(0);
  recent = null;
}
// Constant time: the cached key is secret.
function sameBytes(a, b) {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// --- decryptMany ---------------------------------------------------------------

const CHUNK = 256;
const PIPELINE_DEPTH = 2;
// Below this many entries, starting workers costs more than it saves.
const WORKER_THRESHOLD = 3000;
const MAX_WORKERS = 4;
// Entries sent to a worker at a time.
const WORKER_SLICE = 2048;
// PKCS#8 wrapping of a raw X25519 private key (RFC 8410).
const PKCS8_X25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];

let x25519Support;
/** Whether WebCrypto here does X25519 (Node ≥ 20, current browsers, Workers). */
function hasX25519(subtle) {
  x25519Support ??= (async () => {
    try {
      const base = new Uint8Array(32);
      base[0] = 9;
      await subtle.importKey('raw', base, { name: 'X25519' }, false, []);
      return true;
    } catch {
      return false;
    }
  })();
  return x25519Support;
}

/**
 * The X25519 step with our private key, or null when the host has no native
 * X25519 (then Go does the whole restore). In Node, node:crypto's synchronous
 * diffieHellman costs about half the CPU of WebCrypto's JS layers.
 */
async function makeDeriver(rt, privateKey) {
  const pkcs8 = new Uint8Array([...PKCS8_X25519_PREFIX, ...privateKey]);
  if (isNode && rt.subtle) {
    const crypto = await import('node:crypto');
    const priv = crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    return (ephemeralB64) => {
      const x = ephemeralB64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
      const pub = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      // A view, not a copy: callers wipe the shared secret through it.
      const shared = crypto.diffieHellman({ privateKey: priv, publicKey: pub });
      return new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
    };
  }
  if (rt.subtle && (await hasX25519(rt.subtle))) {
    const subtle = rt.subtle;
    const priv = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']);
    pkcs8.fill(0);
    return async (ephemeralB64) => {
      const pub = await subtle.importKey('raw', decodeBase64(ephemeralB64), { name: 'X25519' }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
    };
  }
  return null;
}

/** Most workers a caller may ask for (each loads its own wasm instance). */
const MAX_REQUESTED_WORKERS = 16;

/** Checks the options decryptMany and restoreBackup share. */
export function checkRestoreOptions(opts, name) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw mxError('BAD_INPUT', `${name}: options must be an object`);
  const { onProgress, workers, _workerSlice } = opts;
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') throw mxError('BAD_INPUT', `${name}: onProgress must be a function`);
  if (workers !== undefined && workers !== null && (!Number.isInteger(workers) || workers < 0 || workers > MAX_REQUESTED_WORKERS)) {
    throw mxError('BAD_INPUT', `${name}: workers must be an integer 0..${MAX_REQUESTED_WORKERS}`);
  }
  if (_workerSlice !== undefined && (!Number.isInteger(_workerSlice) || _workerSlice < 1)) throw mxError('BAD_INPUT', `${name}: _workerSlice must be a positive integer`);
  return { onProgress: onProgress ?? undefined, workers: workers ?? undefined, _workerSlice };
}

/** Checks what the restore workers pass to _decryptEntries and _prepareEntries. */
export function checkEntries(privateKey, entries, callbacks, name) {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw mxError('BAD_INPUT', `${name}: privateKey must be a 32-byte Uint8Array`);
  if (!Array.isArray(entries) || !entries.every((e) => e !== null && typeof e === 'object' && typeof e.roomId === 'string' && typeof e.sessionId === 'string')) {
    throw mxError('BAD_INPUT', `${name}: entries must be an array of { roomId, sessionId, record }`);
  }
  for (const [i, cb] of callbacks.entries()) {
    if (cb !== undefined && cb !== null && typeof cb !== 'function') throw mxError('BAD_INPUT', `${name}: argument ${i + 3} must be a function`);
  }
}

export async function decryptMany(rt, privateKey, roomKeys, opts) {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw mxError('BAD_INPUT', 'backup.decryptMany: privateKey must be a 32-byte Uint8Array');
  }
  if (roomKeys === null || typeof roomKeys !== 'object' || roomKeys.rooms === null || typeof roomKeys.rooms !== 'object') {
    throw mxError('BAD_INPUT', 'backup.decryptMany: roomKeys must be the body of GET /room_keys/keys ({ rooms: { ... } })');
  }
  privateKey = privateKey.slice(); // read now: the caller may reuse the buffer
  opts = checkRestoreOptions(opts, 'backup.decryptMany');
  const onProgress = opts.onProgress;
  if (!rt.subtle) return rt.call('backup._decryptMany', [privateKey, roomKeys, onProgress]);
  const entries = flatten(roomKeys.rooms);
  const workers = opts?.workers ?? (entries.length >= WORKER_THRESHOLD ? await defaultWorkers() : 0);
  if (workers >= 2 && entries.length >= 2 * CHUNK) {
    try {
      return await decryptInWorkers(rt, privateKey, entries, workers, onProgress, null, opts?._workerSlice);
    } catch (e) {
      if (e instanceof CallerError) throw e.error;
      if (e?.code) throw e;
      // No workers here after all: do it on this thread.
    }
  }
  return decryptEntries(rt, privateKey, entries, onProgress);
}

/** Decrypt flattened entries on this thread. */
export async function decryptEntries(rt, privateKey, entries, onProgress) {
  const derive = await makeDeriver(rt, privateKey);
  if (!derive) {
    const rooms = {};
    for (const e of entries) ((rooms[e.roomId] ??= { sessions: {} }).sessions[e.sessionId] = e.record);
    return rt.call('backup._decryptMany', [privateKey, { rooms }, onProgress]);
  }
  const sessions = [];
  const failures = [];
  await inChunks(derive, entries, (chunk) => finishChunk(rt, chunk, sessions, failures), onProgress);
  return { sessions, failures };
}

/**
 * Runs entries through the host's X25519 a chunk at a time, calling finish
 * on each chunk in order. Pipelined: with WebCrypto the next chunks' X25519
 * runs on its own threads while Go finishes the current one on this thread.
 */
async function inChunks(derive, entries, finish, onProgress) {
  const total = entries.length;
  const started = [];
  let nextStart = 0;
  const fill = () => {
    while (started.length < PIPELINE_DEPTH && nextStart < total) {
      started.push(startChunk(derive, entries.slice(nextStart, nextStart + CHUNK)));
      nextStart += CHUNK;
    }
  };
  fill();
  let done = 0;
  while (started.length) {
    const chunk = await started.shift();
    fill();
    await finish(chunk);
    done += chunk.length;
    if (onProgress) onProgress(done, total);
  }
}

async function defaultWorkers() {
  if (isNode) {
    const os = await import('node:os');
    return Math.min(os.availableParallelism?.() ?? os.cpus().length, MAX_WORKERS);
  }
  if (typeof Worker === 'undefined') return 0;
  return Math.min(globalThis.navigator?.hardwareConcurrency ?? 1, MAX_WORKERS);
}

// Each worker loads its own instance from the already compiled module and
// decrypts a contiguous share, so concatenating the shares keeps the order.
// A share goes in slices, one ahead of the one being worked on, so the
// entries are not all copied into the workers at once.
// With onBatch (a restore), workers prepare room keys instead and send each
// prepared batch as soon as it is ready; onBatch takes them one at a time.
async function decryptInWorkers(rt, privateKey, entries, count, onProgress, onBatch, slice = WORKER_SLICE) {
  const url = new URL('./restore-worker.mjs', import.meta.url);
  let WorkerCtor = globalThis.Worker;
  if (isNode) WorkerCtor = (await import('node:worker_threads')).Worker;
  const size = Math.ceil(entries.length / count);
  const done = new Array(count).fill(0);
  const workers = [];
  let batches = Promise.resolve();
  let batchError;
  try {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => new Promise((resolve, reject) => {
      const w = isNode ? new WorkerCtor(url) : new WorkerCtor(url, { type: 'module' });
      workers.push(w);
      const end = Math.min((i + 1) * size, entries.length);
      let next = i * size;
      let ended = false;
      const send = () => {
        if (next < end) {
          w.postMessage({ entries: entries.slice(next, Math.min(next + slice, end)) });
          next += slice;
        } else if (!ended) {
          w.postMessage({ end: true });
          ended = true;
        }
      };
      const onMessage = (m) => {
        const msg = isNode ? m : m.data;
        if (msg.need) {
          send();
        } else if (msg.batch) {
          batches = batches.then(() => {
            if (batchError) {
              msg.batch.fill(0); // not handed over after a failure: its keys go no further
              return;
            }
            return onBatch(msg.batch, msg.codes);
          }).catch((e) => { batchError ??= e; });
        } else if (msg.progress !== undefined) {
          done[i] = msg.progress;
          try {
            if (onProgress) onProgress(done.reduce((a, b) => a + b, 0), entries.length);
          } catch (e) {
            reject(new CallerError(e)); // the caller's handler failed: so does the call (not retried on this thread)
          }
        } else if (msg.error) {
          reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, name: 'MxCryptoError' }));
        } else {
          resolve(msg.result);
        }
      };
      const onError = (e) => reject(e instanceof Error ? e : new Error(String(e?.message ?? e)));
      if (isNode) {
        w.on('message', onMessage);
        w.on('error', onError);
      } else {
        w.onmessage = onMessage;
        w.onerror = onError;
      }
      w.postMessage({ module: rt.module, webCrypto: !!rt.subtle, privateKey, restore: !!onBatch });
      send();
      send();
    })));
    await batches;
    if (batchError) throw batchError;
    if (onBatch) return null;
    return {
      sessions: results.flatMap((r) => r.sessions),
      failures: results.flatMap((r) => r.failures),
    };
  } finally {
    for (const w of workers) w.terminate();
    await batches; // none is left running when this returns or throws
  }
}

// What the caller's onProgress threw inside decryptInWorkers: the call
// fails with it, instead of doing the work again on this thread.
class CallerError {
  constructor(error) {
    this.error = error;
  }
}

// --- restore -------------------------------------------------------------------

/**
 * The decrypting half of Device.restoreBackup: X25519 by the host, the rest
 * in Go (workers' instances for big bodies), which also parses and checks
 * each room key and returns it as a prepared batch, so the decrypted keys
 * never become JS strings and the main thread does little per key. Each
 * batch goes to onBatch(prepared, failureCodes) when ready, one at a time.
 * Returns false, having done nothing, when the host has no native X25519.
 */
export async function prepareRestore(rt, privateKey, roomKeys, { workers, onBatch, onProgress, _workerSlice } = {}) {
  if (roomKeys === null || typeof roomKeys !== 'object' || roomKeys.rooms === null || typeof roomKeys.rooms !== 'object') {
    throw mxError('BAD_INPUT', 'Device.restoreBackup: roomKeys must be the body of GET /room_keys/keys ({ rooms: { ... } })');
  }
  const derive = rt.subtle ? await makeDeriver(rt, privateKey) : null;
  if (!derive) return false;
  const entries = flatten(roomKeys.rooms);
  const count = workers ?? (entries.length >= WORKER_THRESHOLD ? await defaultWorkers() : 0);
  let delivered = 0;
  const counted = async (prepared, codes) => {
    delivered++;
    await onBatch(prepared, codes);
  };
  if (count >= 2 && entries.length >= 2 * CHUNK) {
    try {
      await decryptInWorkers(rt, privateKey, entries, count, onProgress, counted, _workerSlice);
      return true;
    } catch (e) {
      if (e instanceof CallerError) throw e.error;
      // No workers here after all: do it on this thread, unless some keys
      // were already handed over.
      if (e?.code || delivered) throw e;
    }
  }
  await prepareEntries(rt, derive, entries, counted, onProgress);
  return true;
}

/** The per-thread part of prepareRestore. */
export async function prepareEntries(rt, derive, entries, onBatch, onProgress) {
  await inChunks(derive, entries, async (chunk) => {
    const { prepared, codes } = await prepareChunk(rt, chunk);
    await onBatch(prepared, codes);
  }, onProgress);
}

/** Makes the deriver for a worker's prepareEntries. */
export const restoreDeriver = makeDeriver;

async function prepareChunk(rt, chunk) {
  const ready = [];
  for (const e of chunk) {
    if (e.code) continue;
    e.room = utf8(e.roomId);
    e.session = utf8(e.sessionId);
    if (e.room.length > MAX_ID || e.session.length > MAX_ID) {
      e.code = 'BAD_INPUT';
      e.shared.fill(0);
      continue;
    }
    ready.push(e);
  }
  const buf = encodePrepareBatch(ready);
  for (const e of ready) e.shared.fill(0);
  try {
    const prepared = ready.length ? await rt.call('_device._restorePrepare', [buf, ready.length]) : new Uint8Array(0);
    return { prepared, codes: chunk.filter((e) => e.code).map((e) => e.code) };
  } finally {
    buf.fill(0);
  }
}

// Same checks and order as the Go path (backup.ParseRoomKeys).
function flatten(rooms) {
  const out = [];
  for (const roomId of Object.keys(rooms).sort(byCodePoints)) {
    const sessions = rooms[roomId]?.sessions;
    if (rooms[roomId] === null || typeof rooms[roomId] !== 'object' || sessions === null || typeof sessions !== 'object' || Array.isArray(sessions)) {
      throw mxError('BAD_INPUT', 'backup.decryptMany: roomKeys.rooms[room].sessions must be an object');
    }
    for (const sessionId of Object.keys(sessions).sort(byCodePoints)) {
      out.push({ roomId, sessionId, record: sessions[sessionId] });
    }
  }
  return out;
}

// Go sorts by UTF-8 bytes, which is code point order; JS's default sort is
// UTF-16 code unit order, which differs only when a string has a character
// above U+FFFF (surrogates, D800–DFFF) where another has one in E000–FFFF.
function byCodePoints(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

async function startChunk(derive, entries) {
  return Promise.all(entries.map(async (e) => {
    const data = e.record?.session_data;
    if (data === null || typeof data !== 'object' || typeof data.ephemeral !== 'string' || typeof data.ciphertext !== 'string' || typeof data.mac !== 'string') {
      return { ...e, code: 'BAD_INPUT' };
    }
    const eph = decodeBase64(data.ephemeral);
    const mac = decodeBase64(data.mac);
    const ct = decodeBase64(data.ciphertext);
    if (!eph || !mac || !ct) return { ...e, code: 'BAD_BASE64' };
    if (eph.length !== 32 || mac.length !== 8) return { ...e, code: 'BAD_INPUT' };
    try {
      return { ...e, shared: await derive(data.ephemeral), mac, ct };
    } catch {
      return { ...e, code: 'BAD_MESSAGE' }; // low-order ephemeral key
    }
  }));
}

async function finishChunk(rt, chunk, sessions, failures) {
  const ready = chunk.filter((e) => !e.code);
  const buf = encodeSharedBatch(ready);
  for (const e of ready) e.shared.fill(0);
  const out = ready.length ? await rt.call('backup._decryptSharedBatch', [buf, ready.length]) : new Uint8Array(0);
  buf.fill(0);
  const text = utf8StrictDecoder;
  const results = decodeBatchAnswer(out, ready.length);
  for (const [i, e] of ready.entries()) {
    const { code, plaintext: pt } = results[i];
    if (code) {
      e.code = code;
      continue;
    }
    try {
      const sessionData = JSON.parse(text.decode(pt));
      if (sessionData === null || typeof sessionData !== 'object' || Array.isArray(sessionData)) throw new Error('not an object');
      e.sessionData = sessionData;
    } catch {
      e.code = 'BAD_MESSAGE';
    }
    pt.fill(0);
  }
  for (const e of chunk) {
    if (e.code) failures.push({ roomId: e.roomId, sessionId: e.sessionId, code: e.code });
    else sessions.push({ roomId: e.roomId, sessionId: e.sessionId, sessionData: e.sessionData });
  }
}
