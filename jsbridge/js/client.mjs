// mx.connect: the HTTP driver around the machine (openMachine). It runs the
// /sync loop with fetch (Node ≥ 20, browsers, Workers), sends the machine's
// outgoing requests and feeds the answers back, retries with backoff, and
// offers a small client (rooms, createEncryptedRoom, invite/join,
// sendMessage, events, backup, close). Thin on purpose: every encryption
// decision is the machine's; this file only moves JSON between it and the
// homeserver, and keeps the little room state a client needs to know whom to
// share a room key with.
//
// The sync token is stored (machine.setSyncToken) only after the whole
// /sync response was processed and its events emitted: a crash in between
// makes the server send the same response again (at least once, never lost).
import { mxError, optionsArg } from './common.mjs';
import { DEFAULT_RETRY, matrixHttp, sleep } from './http.mjs';

const CLIENT = '/_matrix/client/v3';
const enc = encodeURIComponent;

function randomTxnId() {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return `mx${Date.now().toString(36)}${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

const bytesToB64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');
const b64ToBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** A tiny event emitter that works the same in Node and browsers. */
function emitter() {
  const handlers = new Map();
  return {
    on(name, fn) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(fn);
      return () => handlers.get(name)?.delete(fn);
    },
    off(name, fn) { handlers.get(name)?.delete(fn); },
    emit(name, value) {
      for (const fn of handlers.get(name) ?? []) {
        try { fn(value); } catch (e) { queueMicrotask(() => { throw e; }); }
      }
    },
    count: (name) => handlers.get(name)?.size ?? 0,
  };
}

/** Logs in with a password or asks whoami for a token; resolves to the session. */
async function authenticate(http, options) {
  const { accessToken, user, password, deviceId, deviceDisplayName } = options;
  if (accessToken) {
    const who = await http.json('GET', `${CLIENT}/account/whoami`);
    const device = who.device_id ?? deviceId;
    if (!device) throw mxError('BAD_INPUT', 'connect: the access token has no device id; pass deviceId');
    return { userId: who.user_id, deviceId: device, accessToken };
  }
  if (typeof user !== 'string' || typeof password !== 'string') {
    throw mxError('BAD_INPUT', 'connect: give accessToken, or user and password');
  }
  const body = {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
    ...(deviceId ? { device_id: deviceId } : {}),
    ...(deviceDisplayName ? { initial_device_display_name: deviceDisplayName } : {}),
  };
  const r = await http.json('POST', `${CLIENT}/login`, body);
  return { userId: r.user_id, deviceId: r.device_id, accessToken: r.access_token };
}

/**
 * connect(mx, options) → Client. See ConnectOptions / Client in index.d.ts.
 */
export async function connectClient(mx, options) {
  if (options === null || typeof options !== 'object') throw mxError('BAD_INPUT', 'connect: options must be an object');
  const {
    homeserverUrl, store, backend, dbName, path, storeKey, passphrase, fallbackRetentionMs,
    syncTimeoutMs = 30000, start = true, fetch: fetchImpl = globalThis.fetch.bind(globalThis),
    roomKeySettings = {},
  } = options;
  if (typeof homeserverUrl !== 'string' || !/^https?:\/\//.test(homeserverUrl)) throw mxError('BAD_INPUT', 'connect: homeserverUrl must be an http(s) URL');
  if (typeof store !== 'string' || store === '') throw mxError('BAD_INPUT', 'connect: store must be the key store\'s name');
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const abort = new AbortController();
  const events = emitter();
  let loop = null;
  let stopped = false;
  let closing = null;
  let session = { accessToken: options.accessToken };
  const http = matrixHttp({
    baseUrl: homeserverUrl.replace(/\/+$/, ''),
    fetchImpl,
    retry,
    signal: abort.signal,
    getToken: () => session.accessToken,
    onRetry: (info) => events.emit('retry', info),
  });
  session = await authenticate(http, options);
  const machine = await mx.openMachine({ userId: session.userId, deviceId: session.deviceId, store, backend, dbName, path, storeKey, passphrase, fallbackRetentionMs });

  // --- outgoing requests ------------------------------------------------------
  // One send per request id at a time; ids marked sent are remembered so a
  // list fetched before another caller sent them is not sent again.
  const inFlight = new Map();
  const sent = new Set();
  const rememberSent = (id) => {
    sent.add(id);
    if (sent.size > 5000) sent.delete(sent.values().next().value);
  };

  function sendRequest(r) {
    if (sent.has(r.id)) return Promise.resolve();
    if (inFlight.has(r.id)) return inFlight.get(r.id);
    const p = (async () => {
      const answer = await http.request(r.method, r.path, r.method === 'GET' ? null : r.body, { allowError: true });
      const { events: machineEvents } = await machine.markRequestAsSent(r.id, r.type, answer.body, { status: answer.status });
      rememberSent(r.id);
      await handleMachineEvents(machineEvents ?? []);
    })().finally(() => inFlight.delete(r.id));
    inFlight.set(r.id, p);
    return p;
  }

  // The sync loop never waits for outgoing requests (a blocked /keys/upload
  // must not stop to-device events from being processed): schedulePump()
  // lists the machine's requests and starts those not in flight, each on its
  // own; one that succeeds schedules another look (answers make new
  // requests), one that fails is reported and tried again after the next sync.
  let listing = null;
  let listAgain = false;
  async function startQueued() {
    const reqs = (await machine.outgoingRequests()).filter((r) => !sent.has(r.id) && !inFlight.has(r.id));
    for (const r of reqs) {
      sendRequest(r).then(() => schedulePump(), (e) => {
        if (!stopped && e?.code !== 'CLOSED') events.emit('error', e);
      });
    }
    return reqs.length;
  }
  function schedulePump() {
    if (stopped) return Promise.resolve();
    if (listing) {
      listAgain = true;
      return listing;
    }
    listing = (async () => {
      do {
        listAgain = false;
        try {
          await startQueued();
        } catch (e) {
          if (!stopped && e?.code !== 'CLOSED') events.emit('error', e);
        }
      } while (listAgain && !stopped);
    })().finally(() => { listing = null; });
    return listing;
  }

  /** Sends everything the machine has queued and waits for the answers, until nothing is left (bounded); rejects with the first failure. */
  async function pumpOutgoing() {
    for (let round = 0; round < 20; round++) {
      const started = (await machine.outgoingRequests()).filter((r) => !sent.has(r.id));
      if (!started.length && !inFlight.size) return;
      const results = await Promise.allSettled([...started.map(sendRequest), ...inFlight.values()]);
      const failed = results.find((x) => x.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  // --- rooms ------------------------------------------------------------------
  /** roomId → { roomId, membership, encryption (content or null), members: Set, membersKnown } */
  const rooms = new Map();
  const roomOf = (roomId) => {
    let r = rooms.get(roomId);
    if (!r) rooms.set(roomId, (r = { roomId, membership: 'join', encryption: undefined, members: new Set(), membersKnown: false }));
    return r;
  };

  function applyState(room, ev) {
    if (typeof ev?.state_key !== 'string') return [];
    if (ev.type === 'm.room.encryption' && ev.content?.algorithm) room.encryption = ev.content;
    if (ev.type === 'm.room.member') {
      const m = ev.content?.membership;
      if (m === 'join' || m === 'invite') {
        if (!room.members.has(ev.state_key)) {
          room.members.add(ev.state_key);
          return [ev.state_key];
        }
      } else room.members.delete(ev.state_key);
    }
    return [];
  }

  async function roomMembers(roomId) {
    const room = roomOf(roomId);
    if (!room.membersKnown) {
      const r = await http.json('GET', `${CLIENT}/rooms/${enc(roomId)}/members?not_membership=leave`);
      room.members = new Set(r.chunk.filter((e) => ['join', 'invite'].includes(e.content?.membership)).map((e) => e.state_key));
      room.membersKnown = true;
    }
    return [...room.members];
  }

  async function roomEncryption(roomId) {
    const room = roomOf(roomId);
    if (room.encryption === undefined) {
      const r = await http.request('GET', `${CLIENT}/rooms/${enc(roomId)}/state/m.room.encryption/`, null, { allowError: true });
      room.encryption = r.status === 200 && r.body?.algorithm ? r.body : null;
    }
    return room.encryption;
  }

  // --- decryption and events -------------------------------------------------
  /** Undecryptable events kept to retry when their session arrives: sessionId → [{ roomId, event }]. */
  const pending = new Map();
  const MAX_PENDING = 2000;
  let pendingCount = 0;

  async function decryptAndEmit(roomId, event, { retried = false } = {}) {
    if (event.type !== 'm.room.encrypted') {
      const out = { roomId, eventId: event.event_id, sender: event.sender, type: event.type, content: event.content, encrypted: false, raw: event };
      events.emit('event', out);
      return out;
    }
    let out;
    try {
      const d = await machine.decryptRoomEvent(roomId, event);
      out = {
        roomId, eventId: event.event_id, sender: event.sender, type: d.type, content: d.content, encrypted: true,
        senderDevice: d.senderDevice, forwarded: d.forwarded, retried, raw: event,
      };
    } catch (e) {
      if (e?.name !== 'MxCryptoError') throw e;
      out = {
        roomId, eventId: event.event_id, sender: event.sender, type: event.type, content: event.content, encrypted: true, retried, raw: event,
        error: { code: e.code, message: e.message, ...(e.withheldCode ? { withheldCode: e.withheldCode, withheldReason: e.withheldReason } : {}) },
      };
      const sessionId = event.content?.session_id;
      if (!retried && ['UNKNOWN_SESSION', 'UNKNOWN_MESSAGE_INDEX'].includes(e.code) && typeof sessionId === 'string' && pendingCount < MAX_PENDING) {
        if (!pending.has(sessionId)) pending.set(sessionId, []);
        pending.get(sessionId).push({ roomId, event });
        pendingCount++;
      }
    }
    events.emit('event', out);
    return out;
  }

  async function retrySession(sessionId) {
    const waiting = pending.get(sessionId);
    if (!waiting) return;
    pending.delete(sessionId);
    pendingCount -= waiting.length;
    for (const { roomId, event } of waiting) await decryptAndEmit(roomId, event, { retried: true });
  }

  async function handleMachineEvents(list) {
    for (const ev of list) {
      events.emit('crypto', ev);
      events.emit(ev.type, ev);
      if (ev.type === 'roomKeyReceived') await retrySession(ev.sessionId);
    }
  }

  // --- the sync loop ----------------------------------------------------------
  let lastSync = null;
  const syncWaiters = new Set();

  async function processSync(sync, since) {
    const crypto = await machine.receiveSyncChanges({
      toDeviceEvents: sync.to_device?.events ?? [],
      changedDevices: { changed: sync.device_lists?.changed ?? [], left: sync.device_lists?.left ?? [] },
      oneTimeKeyCounts: sync.device_one_time_keys_count ?? {},
      unusedFallbackKeyTypes: sync.device_unused_fallback_key_types ?? null,
    });
    for (const t of crypto.toDeviceEvents ?? []) events.emit('toDevice', t);
    await handleMachineEvents(crypto.events ?? []);

    const newlyTracked = new Set();
    for (const [roomId, r] of Object.entries(sync.rooms?.invite ?? {})) {
      const inviter = r.invite_state?.events?.find((e) => e.type === 'm.room.member' && e.state_key === session.userId)?.sender;
      events.emit('invite', { roomId, inviter });
    }
    for (const roomId of Object.keys(sync.rooms?.leave ?? {})) {
      rooms.delete(roomId);
      events.emit('leave', { roomId });
    }
    const timelines = [];
    for (const [roomId, r] of Object.entries(sync.rooms?.join ?? {})) {
      const known = rooms.has(roomId);
      const room = roomOf(roomId);
      // The first sync carries the full state: the member list is complete.
      if (!since || !known) room.membersKnown = !since;
      for (const ev of r.state?.events ?? []) for (const u of applyState(room, ev)) newlyTracked.add(u);
      for (const ev of r.timeline?.events ?? []) for (const u of applyState(room, ev)) newlyTracked.add(u);
      timelines.push([roomId, r.timeline?.events ?? []]);
    }
    const tracked = [...newlyTracked].filter((u) => [...rooms.values()].some((room) => room.encryption && room.members.has(u)));
    if (tracked.length) {
      await machine.updateTrackedUsers(tracked);
      // Know the new members' devices before decrypting their events, so
      // each comes with its senderDevice (a failed query only delays that).
      const queries = (await machine.outgoingRequests()).filter((r) => r.type === 'keys_query');
      await Promise.allSettled(queries.map(sendRequest));
    }
    for (const [roomId, list] of timelines) for (const ev of list) await decryptAndEmit(roomId, ev);
  }

  // One /sync at a time: two with the same token would process its to-device events twice.
  let syncChain = Promise.resolve();
  function syncOnce(opts) {
    const run = syncChain.then(() => syncRound(opts));
    syncChain = run.catch(() => {});
    return run;
  }

  async function syncRound({ timeoutMs = 0 } = {}) {
    const since = await machine.syncToken();
    const q = new URLSearchParams({ timeout: String(timeoutMs) });
    if (since) q.set('since', since);
    const sync = await http.json('GET', `${CLIENT}/sync?${q}`, null, { timeoutMs: timeoutMs + 60000 });
    await processSync(sync, since);
    // Everything in the response is processed (and emitted): now the token may advance.
    await machine.setSyncToken(sync.next_batch);
    schedulePump();
    lastSync = sync;
    events.emit('sync', { nextBatch: sync.next_batch });
    for (const w of [...syncWaiters]) w();
    return sync;
  }

  function runLoop() {
    loop ??= (async () => {
      let failures = 0;
      while (!stopped) {
        try {
          await syncOnce({ timeoutMs: syncTimeoutMs });
          failures = 0;
        } catch (e) {
          if (stopped || e?.code === 'CLOSED') break;
          events.emit('error', e);
          if (e?.status === 401) break; // the token is gone: nothing to retry
          failures++;
          await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(failures, 10)), abort.signal);
        }
      }
    })();
    return loop;
  }

  // --- the async iterator over room events -----------------------------------
  function eventIterator(filter = () => true) {
    const queue = [];
    let wake = null;
    const off = events.on('event', (ev) => {
      if (!filter(ev)) return;
      queue.push(ev);
      wake?.();
    });
    const offClose = events.on('close', () => wake?.());
    return {
      [Symbol.asyncIterator]() { return this; },
      async next() {
        while (!queue.length) {
          if (stopped) return { done: true, value: undefined };
          await new Promise((r) => { wake = r; });
          wake = null;
        }
        return { done: false, value: queue.shift() };
      },
      async return() {
        off();
        offClose();
        return { done: true, value: undefined };
      },
    };
  }

  // --- secret storage and backup (account data) ------------------------------
  const accountDataPath = (type) => `${CLIENT}/user/${enc(session.userId)}/account_data/${enc(type)}`;
  async function getAccountData(type) {
    const r = await http.request('GET', accountDataPath(type), null, { allowError: true });
    return r.status === 200 ? r.body : null;
  }
  const putAccountData = (type, content) => http.json('PUT', accountDataPath(type), content);

  /**
   * The backup private key from a recovery key or passphrase: the secret
   * storage key's (m.megolm_backup.v1 secret), else the backup key itself.
   */
  async function backupKeyFrom(recoveryKeyOrPassphrase, authData) {
    const defaultKey = await getAccountData('m.secret_storage.default_key');
    const keyId = defaultKey?.key;
    const keyInfo = keyId ? await getAccountData(`m.secret_storage.key.${keyId}`) : null;
    const secretData = await getAccountData('m.megolm_backup.v1');
    let candidate = null;
    try {
      candidate = await mx.recoveryKey.decode(recoveryKeyOrPassphrase);
    } catch (e) {
      if (e?.code !== 'BAD_RECOVERY_KEY') throw e;
    }
    const candidates = [];
    if (candidate) candidates.push(candidate);
    if (keyInfo?.passphrase) {
      const p = keyInfo.passphrase;
      candidates.push(await mx.passphrase.deriveKey(recoveryKeyOrPassphrase, p.salt, p.iterations, p.bits ?? 256));
    }
    for (const key of candidates) {
      if (keyInfo && secretData && (await mx.secretStorage.checkKey(key, keyInfo))) {
        const secret = await machine.device.getSecret('m.megolm_backup.v1', secretData, key, keyId);
        return b64ToBytes(secret);
      }
      if (authData?.public_key && (await mx.backup.publicKey(key)) === authData.public_key) return key;
    }
    if (authData?.private_key_salt) {
      const key = await mx.passphrase.deriveKey(recoveryKeyOrPassphrase, authData.private_key_salt, authData.private_key_iterations, authData.private_key_bits ?? 256);
      if ((await mx.backup.publicKey(key)) === authData.public_key) return key;
    }
    throw mxError('WRONG_KEY', 'backup.restore: neither the secret storage key nor the backup key');
  }

  const backup = {
    /**
     * Creates a backup version, enables uploads to it, and stores its key in
     * secret storage under a new default key (from passphrase, or random).
     */
    async enable(options) {
      const { passphrase: ssssPassphrase, secretStorageKey } = optionsArg(options, 'Client.backup.enable');
      const existing = secretStorageKey !== undefined ? await secretStorageKeyFrom(secretStorageKey) : null;
      if (secretStorageKey !== undefined && !existing) throw mxError('WRONG_KEY', 'backup.enable: there is no default secret storage key');
      const created = await machine.createBackupVersion();
      const { version } = await http.json('POST', `${CLIENT}/room_keys/version`, created.body);
      await machine.enableBackup({ version, publicKey: created.publicKey, privateKey: created.privateKey });
      const ssss = existing ?? await mx.secretStorage.createKey(ssssPassphrase ? { passphrase: ssssPassphrase } : {});
      if (!existing) await putAccountData(`m.secret_storage.key.${ssss.keyId}`, ssss.keyInfo);
      const secret = await machine.device.storeSecret('m.megolm_backup.v1', bytesToB64(created.privateKey), ssss.keyId, ssss.key);
      await putAccountData('m.megolm_backup.v1', secret);
      if (!existing) await putAccountData('m.secret_storage.default_key', { key: ssss.keyId });
      created.privateKey.fill(0);
      ssss.key.fill(0);
      await pumpOutgoing();
      return { version, ...(existing ? {} : { recoveryKey: ssss.recoveryKey }), backupRecoveryKey: created.recoveryKey, keyId: ssss.keyId };
    },
    /** The server's current backup version and whether we trust it (Machine.verifyBackup). */
    async trust() {
      const info = await http.json('GET', `${CLIENT}/room_keys/version`);
      return machine.verifyBackup(info);
    },
    /** Enables uploads to the server's current version only if it is trusted (UNTRUSTED_BACKUP otherwise). */
    async useServerVersion() {
      const info = await http.json('GET', `${CLIENT}/room_keys/version`);
      const t = await machine.enableBackup({ versionInfo: info });
      await pumpOutgoing();
      return t;
    },
    /** Uploads what is pending now (the sync loop also does it). */
    flush: () => pumpOutgoing(),
    /** Restores every key of the server's current backup version and enables it (uploads and on-demand fetches). */
    async restore(recoveryKeyOrPassphrase, options) {
      const { onProgress } = optionsArg(options, 'Client.backup.restore');
      if (typeof recoveryKeyOrPassphrase !== 'string' && !(recoveryKeyOrPassphrase instanceof Uint8Array)) {
        throw mxError('BAD_INPUT', 'backup.restore: give the recovery key or passphrase');
      }
      const info = await http.json('GET', `${CLIENT}/room_keys/version`);
      const key = recoveryKeyOrPassphrase instanceof Uint8Array ? recoveryKeyOrPassphrase.slice() : await backupKeyFrom(recoveryKeyOrPassphrase, info.auth_data);
      try {
        await machine.enableBackup({ version: info.version, publicKey: info.auth_data.public_key, privateKey: key });
        const roomKeys = await http.json('GET', `${CLIENT}/room_keys/keys?version=${enc(info.version)}`);
        const result = await machine.restoreBackup(key, roomKeys, { onProgress });
        for (const sessionId of [...pending.keys()]) await retrySession(sessionId);
        return { version: info.version, ...result };
      } finally {
        key.fill(0);
      }
    },
    /** Asks the user's other devices for the backup key (m.secret.request); it arrives as a 'secretReceived' event. */
    async requestKeyFromOwnDevices() {
      await machine.requestSecret('m.megolm_backup.v1');
      await pumpOutgoing();
    },
    disable: () => machine.disableBackup(),
  };

  // --- cross-signing -----------------------------------------------------------
  /**
   * The default secret-storage key from a recovery key or passphrase:
   * { keyId, key } (WRONG_KEY when neither opens it; null when there is none).
   */
  async function secretStorageKeyFrom(recoveryKeyOrPassphrase) {
    const keyId = (await getAccountData('m.secret_storage.default_key'))?.key;
    const keyInfo = keyId ? await getAccountData(`m.secret_storage.key.${keyId}`) : null;
    if (!keyInfo) return null;
    if (recoveryKeyOrPassphrase instanceof Uint8Array) {
      if (await mx.secretStorage.checkKey(recoveryKeyOrPassphrase, keyInfo)) return { keyId, key: recoveryKeyOrPassphrase.slice() };
      throw mxError('WRONG_KEY', 'not the secret storage key');
    }
    const candidates = [];
    try {
      candidates.push(await mx.recoveryKey.decode(recoveryKeyOrPassphrase));
    } catch (e) {
      if (e?.code !== 'BAD_RECOVERY_KEY') throw e;
    }
    if (keyInfo.passphrase) {
      const p = keyInfo.passphrase;
      candidates.push(await mx.passphrase.deriveKey(recoveryKeyOrPassphrase, p.salt, p.iterations, p.bits ?? 256));
    }
    for (const key of candidates) {
      if (await mx.secretStorage.checkKey(key, keyInfo)) return { keyId, key };
      key.fill(0);
    }
    throw mxError('WRONG_KEY', 'neither the recovery key nor the passphrase of the secret storage key');
  }

  /** Sends a request needing user-interactive auth: auth is an object, or a function (the 401 body) → object. */
  async function sendWithAuth(r, auth) {
    let body = r.body;
    if (auth && typeof auth === 'object') body = { ...r.body, auth };
    let answer = await http.request(r.method, r.path, body, { allowError: true });
    if (answer.status === 401 && typeof auth === 'function') {
      answer = await http.request(r.method, r.path, { ...r.body, auth: await auth(answer.body) }, { allowError: true });
    }
    await machine.markRequestAsSent(r.id, r.type, answer.body, { status: answer.status });
    if (answer.status >= 300) {
      const e = mxError('HOMESERVER_ERROR', `${r.method} ${r.path}: ${answer.status} ${answer.body?.errcode ?? ''}`.trim());
      Object.assign(e, { status: answer.status, errcode: answer.body?.errcode, body: answer.body });
      throw e;
    }
  }

  const CROSS_SIGNING_SECRETS = ['m.cross_signing.master', 'm.cross_signing.self_signing', 'm.cross_signing.user_signing'];

  const crossSigning = {
    /**
     * New cross-signing keys, published (auth: user-interactive auth, an
     * object or a function of the 401 answer), this device signed, and the
     * private keys put in secret storage: under the default key when
     * secretStorageKey (its recovery key or passphrase) is given, else
     * under a new default key (from passphrase, or random).
     */
    async bootstrap(options) {
      const { auth, passphrase: ssssPassphrase, secretStorageKey } = optionsArg(options, 'Client.crossSigning.bootstrap');
      await pumpOutgoing();
      const req = await machine.bootstrapCrossSigning();
      await sendWithAuth(req, auth);
      let ssss;
      let created = null;
      if (secretStorageKey !== undefined) {
        ssss = await secretStorageKeyFrom(secretStorageKey);
        if (!ssss) throw mxError('NO_CROSS_SIGNING', 'crossSigning.bootstrap: there is no default secret storage key');
      } else {
        created = await mx.secretStorage.createKey(ssssPassphrase ? { passphrase: ssssPassphrase } : {});
        ssss = created;
        await putAccountData(`m.secret_storage.key.${created.keyId}`, created.keyInfo);
      }
      try {
        const secrets = await machine.crossSigningSecretsForStorage(ssss.keyId, ssss.key);
        for (const [type, content] of Object.entries(secrets)) await putAccountData(type, content);
        if (created) await putAccountData('m.secret_storage.default_key', { key: created.keyId });
      } finally {
        ssss.key.fill(0);
      }
      await pumpOutgoing();
      // The current backup, if we trust it, is signed by the new master key too.
      const current = await http.request('GET', `${CLIENT}/room_keys/version`, null, { allowError: true });
      if (current.status === 200 && current.body?.version) {
        const trust = await machine.verifyBackup(current.body);
        if (trust.trusted && !trust.signedByMaster) {
          const { algorithm, auth_data: authData, version } = current.body;
          const signed = await machine.signBackupVersion({ algorithm, auth_data: authData });
          await http.json('PUT', `${CLIENT}/room_keys/version/${enc(version)}`, { ...signed, version });
        }
      }
      const status = await machine.crossSigningStatus();
      return { ...status, keyId: ssss.keyId, ...(created ? { recoveryKey: created.recoveryKey } : {}) };
    },
    /** Restores the cross-signing keys from secret storage (recovery key or passphrase) and signs this device. */
    async restore(recoveryKeyOrPassphrase) {
      await pumpOutgoing();
      const ssss = await secretStorageKeyFrom(recoveryKeyOrPassphrase);
      if (!ssss) throw mxError('NO_CROSS_SIGNING', 'crossSigning.restore: there is no secret storage');
      try {
        const data = {};
        for (const type of CROSS_SIGNING_SECRETS) {
          const c = await getAccountData(type);
          if (c) data[type] = c;
        }
        const status = await machine.restoreCrossSigning(data, ssss.key, ssss.keyId);
        await pumpOutgoing();
        return status;
      } finally {
        ssss.key.fill(0);
      }
    },
    /**
     * Asks our other (trusted) devices for the cross-signing keys
     * (m.secret.request), waits for them (m.secret.send), imports them and
     * signs this device.
     */
    async requestFromOwnDevices(options) {
      const { timeoutMs = 60000 } = optionsArg(options, 'Client.crossSigning.requestFromOwnDevices');
      const got = new Set();
      let wake;
      const off = events.on('secretReceived', (e) => { got.add(e.name); wake?.(); });
      try {
        for (const name of CROSS_SIGNING_SECRETS) await machine.requestSecret(name);
        await pumpOutgoing();
        const until = Date.now() + timeoutMs;
        while (!CROSS_SIGNING_SECRETS.every((n) => got.has(n))) {
          const left = until - Date.now();
          if (left <= 0) throw mxError('NO_CROSS_SIGNING', 'crossSigning.requestFromOwnDevices: the keys did not arrive');
          await new Promise((r) => { wake = r; setTimeout(r, Math.min(left, 500)); });
        }
      } finally {
        off();
      }
      const status = await machine.importCrossSigningKeys();
      await pumpOutgoing();
      return status;
    },
    /** Verifies another user: their master key signed with our user-signing key (published now). */
    async verifyUser(userId) {
      await machine.verifyUser(userId);
      await pumpOutgoing();
    },
    status: () => machine.crossSigningStatus(),
    userIdentity: (userId) => machine.userIdentity(userId),
    pinIdentity: (userId) => machine.pinIdentity(userId),
  };

  // --- the client ------------------------------------------------------------
  const client = {
    userId: session.userId,
    deviceId: session.deviceId,
    accessToken: session.accessToken,
    machine,
    get identityKeys() { return machine.identityKeys; },
    /** Joined rooms known from /sync: roomId → { roomId, encrypted, members }. */
    get rooms() {
      return new Map([...rooms.values()].map((r) => [r.roomId, { roomId: r.roomId, encrypted: !!r.encryption, members: [...r.members] }]));
    },
    on: events.on,
    off: events.off,
    /** Room events (decrypted, or with `error`) as an async iterator; ends at close(). */
    events: eventIterator,
    /** The raw homeserver API with the client's token and retries. */
    request: (method, path, body, opts) => http.json(method, path, body, opts),

    async createEncryptedRoom(options) {
      const { invite = [], name, preset = 'private_chat' } = optionsArg(options, 'Client.createEncryptedRoom');
      const encryption = { algorithm: 'm.megolm.v1.aes-sha2', ...roomKeySettingsToContent(roomKeySettings) };
      const r = await http.json('POST', `${CLIENT}/createRoom`, {
        preset, invite, ...(name ? { name } : {}),
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: encryption }],
      });
      const room = roomOf(r.room_id);
      room.encryption = encryption;
      for (const u of [session.userId, ...invite]) room.members.add(u);
      await machine.updateTrackedUsers([session.userId, ...invite]);
      return r.room_id;
    },
    async invite(roomId, userId) {
      await http.json('POST', `${CLIENT}/rooms/${enc(roomId)}/invite`, { user_id: userId });
      roomOf(roomId).members.add(userId);
      if (await roomEncryption(roomId)) await machine.updateTrackedUsers([userId]);
    },
    async join(roomId) {
      const r = await http.json('POST', `${CLIENT}/join/${enc(roomId)}`, {});
      const room = roomOf(r.room_id ?? roomId);
      room.membersKnown = false;
      if (await roomEncryption(room.roomId)) await machine.updateTrackedUsers(await roomMembers(room.roomId));
      return room.roomId;
    },
    async leave(roomId) {
      await http.json('POST', `${CLIENT}/rooms/${enc(roomId)}/leave`, {});
      rooms.delete(roomId);
    },
    /**
     * Sends an event; in an encrypted room the room key first goes to every
     * member's devices that lack it (the machine decides which, and rotates).
     */
    async sendMessage(roomId, content, options) {
      const { type = 'm.room.message', txnId = randomTxnId() } = optionsArg(options, 'Client.sendMessage');
      const encryption = await roomEncryption(roomId);
      let eventType = type;
      let body = content;
      if (encryption) {
        const members = await roomMembers(roomId);
        await machine.updateTrackedUsers(members);
        const settings = { ...contentToRoomKeySettings(encryption), ...roomKeySettings };
        for (let round = 0; round < 10; round++) {
          const reqs = await machine.shareRoomKey(roomId, members, settings);
          if (!reqs.length) break;
          for (const r of reqs) await sendRequest(r);
        }
        body = await machine.encryptRoomEvent(roomId, type, content);
        eventType = 'm.room.encrypted';
      }
      const r = await http.json('PUT', `${CLIENT}/rooms/${enc(roomId)}/send/${enc(eventType)}/${enc(txnId)}`, body);
      return r.event_id;
    },
    /** One /sync round now (also when the loop runs, e.g. in tests): resolves to the raw response. */
    sync: (opts) => syncOnce(opts),
    /** Resolves after the next /sync response is fully processed. */
    nextSync(timeoutMs = 60000) {
      return new Promise((resolve, reject) => {
        const w = () => { syncWaiters.delete(w); clearTimeout(t); resolve(lastSync); };
        const t = setTimeout(() => { syncWaiters.delete(w); reject(mxError('HOMESERVER_ERROR', 'no /sync within the timeout')); }, timeoutMs);
        syncWaiters.add(w);
      });
    },
    /** Resolves with the first room event for which match(event) is true (events from now on). */
    waitForEvent(match, timeoutMs = 60000) {
      return new Promise((resolve, reject) => {
        const off = events.on('event', (ev) => {
          if (!match(ev)) return;
          off();
          clearTimeout(t);
          resolve(ev);
        });
        const t = setTimeout(() => { off(); reject(mxError('HOMESERVER_ERROR', 'waitForEvent: timed out')); }, timeoutMs);
      });
    },
    /** Sends the machine's queued requests now. */
    flush: () => pumpOutgoing(),
    setDeviceTrust: (userId, deviceId, trust) => machine.setDeviceTrust(userId, deviceId, trust),
    getUserDevices: (userId) => machine.getUserDevices(userId),
    backup,
    crossSigning,
    start: runLoop,
    /** Stops the loop, aborts requests in flight and closes the machine. Idempotent. */
    close() {
      closing ??= (async () => {
        stopped = true;
        abort.abort();
        events.emit('close');
        await loop?.catch(() => {});
        await listing?.catch(() => {});
        await Promise.allSettled([...inFlight.values()]);
        await machine.close();
      })();
      return closing;
    },
  };

  // The first upload of the device keys, then (unless start: false) the loop.
  try {
    await pumpOutgoing();
  } catch (e) {
    await client.close();
    throw e;
  }
  if (start) runLoop();
  return client;
}

/** m.room.encryption content fields ↔ machine settings (one mapping, both ways). */
function contentToRoomKeySettings(content) {
  const s = {};
  if (Number.isFinite(content?.rotation_period_ms)) s.rotationPeriodMs = content.rotation_period_ms;
  if (Number.isFinite(content?.rotation_period_msgs)) s.rotationPeriodMsgs = content.rotation_period_msgs;
  return s;
}
function roomKeySettingsToContent(settings) {
  const c = {};
  if (Number.isFinite(settings?.rotationPeriodMs)) c.rotation_period_ms = settings.rotationPeriodMs;
  if (Number.isFinite(settings?.rotationPeriodMsgs)) c.rotation_period_msgs = settings.rotationPeriodMsgs;
  return c;
}
