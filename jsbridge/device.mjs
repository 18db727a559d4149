// The device API: one Matrix device's encryption state in a key store
// (IndexedDB in browsers, or memory), driven with Matrix JSON shapes.
//
// The Go side keeps the open store behind a handle. If the wasm instance
// restarts, the handle is gone but the state is in the store, so the device
// opens it again and retries the call once. A memory store does not survive
// a restart: calls then fail with INSTANCE_EXITED.
import { mxError } from './common.mjs';
import { prepareRestore, restoreDeriver } from './backup.mjs';
import { storeLocker } from './store.mjs';
import { webCryptoPBKDF2 } from './pbkdf2.mjs';

export function deviceApi(rt) {
  const call = (name, args) => rt.call(`_device.${name}`, args);
  const TOKEN = Symbol('device');

  class Device {
    #handle;
    #open;
    #closed = false;
    #reopening = null;

    /** @internal */
    constructor(token, r, open) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use openDevice()');
      this.#handle = r.handle;
      this.#open = open;
      /** { curve25519, ed25519 }, unpadded base64. */
      this.identityKeys = r.identityKeys;
      this.userId = open[0];
      this.deviceId = open[1];
    }

    /** @internal The Go handle, for machine.mjs (changes when the instance restarts). */
    get _handle() {
      return this.#handle;
    }

    async #reopen() {
      if (this.#open[2].backend === 'memory') {
        throw mxError('INSTANCE_EXITED', 'the wasm instance restarted and this device used a memory store, which did not survive; open it again');
      }
      const r = await call('open', this.#open);
      if (r.identityKeys.ed25519 !== this.identityKeys.ed25519) {
        throw mxError('WRONG_KEY', 'the store no longer holds this device\'s account');
      }
      this.#handle = r.handle;
    }

    async #call(name, args) {
      for (let attempt = 0; ; attempt++) {
        if (this.#closed) throw mxError('CLOSED', `Device.${name}: the device was closed`);
        if (this.#reopening) await this.#reopening;
        const handle = this.#handle;
        try {
          return await call(name, [handle, ...args]);
        } catch (e) {
          if (e?.code !== 'CLOSED' || this.#closed || attempt > 0) throw e;
          // The instance restarted: open the store again (once, for all callers).
          if (this.#handle === handle) {
            this.#reopening = this.#reopen().finally(() => { this.#reopening = null; });
          }
          await this.#reopening;
        }
      }
    }

    // A restore lives in one wasm instance. After a restart its handle is
    // gone, so its later steps fail (nothing was stored) instead of being
    // retried on the new instance, where the restore id means nothing, or
    // another restore.
    async #restoreStep(handle, name, args) {
      try {
        return await call(name, [handle, ...args]);
      } catch (e) {
        if (e?.code === 'CLOSED' && !this.#closed) {
          throw mxError('INSTANCE_EXITED', 'Device.restoreBackup: mxcrypto restarted during the restore; nothing was stored: run it again');
        }
        throw e;
      }
    }

    /** The POST /keys/upload body when the server needs keys, else null. Pass /sync's counts; unusedFallbackKeyTypes null when /sync lacks it. */
    keysForUpload({ oneTimeKeyCounts = null, unusedFallbackKeyTypes = null } = {}) {
      return this.#call('keysForUpload', [oneTimeKeyCounts, unusedFallbackKeyTypes]);
    }

    /** After /keys/upload succeeded, with its response body. */
    markKeysUploaded(response = null) {
      return this.#call('markKeysUploaded', [response]);
    }

    /** Check device keys and claimed keys, and make Olm sessions. */
    createOutboundSessions(keysQueryResponse, keysClaimResponse = null) {
      return this.#call('createOutboundSessions', [keysQueryResponse, keysClaimResponse]);
    }

    /** The m.room.encrypted content of a to-device event for one device. */
    encryptToDevice({ userId, deviceId }, type, content) {
      return refuseNonFinite(content, 'Device.encryptToDevice: content') ?? this.#call('encryptToDevice', [userId, deviceId, type, content]);
    }

    /** Decrypt an m.room.encrypted to-device event (the whole event). */
    decryptToDevice(event) {
      return this.#call('decryptToDevice', [event]);
    }

    /** { content, roomKey, sessionId }: roomKey (when not null) must reach every device in the room first. */
    encryptRoomEvent(roomId, type, content, rotation = {}) {
      return refuseNonFinite(content, 'Device.encryptRoomEvent: content') ?? this.#call('encryptRoomEvent', [roomId, type, content, rotation]);
    }

    decryptRoomEvent(roomId, event) {
      return this.#call('decryptRoomEvent', [roomId, event]);
    }

    /** source: { kind: 'm.room_key' | 'm.forwarded_room_key', senderKey, senderEd25519 } or { kind: 'backup', roomId, sessionId }. */
    importRoomKey(content, source) {
      return this.#call('importRoomKey', [content, source]);
    }

    forwardRoomKey(roomId, sessionId) {
      return this.#call('forwardRoomKey', [roomId, sessionId]);
    }

    roomKeyContent(roomId) {
      return this.#call('roomKeyContent', [roomId]);
    }

    discardRoomSession(roomId) {
      return this.#call('discardRoomSession', [roomId]);
    }

    createBackupVersion() {
      return this.#call('createBackupVersion', []);
    }

    verifyBackupAuthData(versionInfo, deviceKeys = null) {
      return this.#call('verifyBackupAuthData', [versionInfo, deviceKeys]);
    }

    enableBackup({ version, publicKey }) {
      return this.#call('enableBackup', [version, publicKey]);
    }

    disableBackup() {
      return this.#call('disableBackup', []);
    }

    /** { version, count, body } for PUT /room_keys/keys?version=, or null when all keys are backed up. */
    nextBackupBatch(maxKeys) {
      return this.#call('nextBackupBatch', [maxKeys]);
    }

    markBackedUp(batch) {
      if (!batch || typeof batch.batchId !== 'number') return Promise.reject(mxError('BAD_INPUT', 'Device.markBackedUp: pass the batch nextBackupBatch returned'));
      return this.#call('markBackedUp', [batch.batchId]);
    }

    roomKeyCounts() {
      return this.#call('roomKeyCounts', []);
    }

    /**
     * key: the 32-byte backup private key or its recovery key text. With a
     * native X25519 here, keys are decrypted and checked in batches (in
     * workers for big bodies) and handed to the store as they come; without
     * one, Go does it all. Either way they are stored in one transaction.
     */
    async restoreBackup(key, roomKeys, { onProgress, workers, _workerSlice } = {}) {
      if (onProgress !== undefined && typeof onProgress !== 'function') throw mxError('BAD_INPUT', 'Device.restoreBackup: onProgress must be a function');
      const decoded = typeof key === 'string' ? await rt.call('recoveryKey.decode', [key]) : null;
      let priv = decoded ?? key;
      try {
        if (!rt.subtle || !(priv instanceof Uint8Array) || priv.length !== 32 || !(await restoreDeriver(rt, priv))) {
          return await this.#call('restoreBackup', [priv, roomKeys, onProgress]); // Go checks the arguments too
        }
        priv = priv.slice(); // read now: the caller may reuse the buffer
      } finally {
        decoded?.fill(0); // ours: the key the recovery key text gave
      }
      const restore = await this.#call('_restoreBegin', [priv]); // WRONG_KEY before any work
      const handle = this.#handle;
      try {
        await prepareRestore(rt, priv, roomKeys, {
          workers,
          _workerSlice, // tests: several slices per worker
          onProgress: onProgress && ((done, total) => onProgress('decrypt', done, total)),
          onBatch: async (prepared, codes) => {
            try {
              await this.#restoreStep(handle, '_restoreAddPrepared', [restore, prepared, JSON.stringify(codes)]);
            } finally {
              prepared.fill(0);
            }
          },
        });
      } catch (e) {
        await this.#restoreStep(handle, '_restoreAbort', [restore]).catch(() => {});
        throw e;
      } finally {
        priv.fill(0);
      }
      return this.#restoreStep(handle, '_restoreCommit', [restore, onProgress]);
    }

    storeSecret(name, secret, keyId, key) {
      return this.#call('storeSecret', [name, secret, keyId, key]);
    }

    getSecret(name, accountData, key, keyId = null) {
      return this.#call('getSecret', [name, accountData, keyId, key]);
    }

    requestSecret(name) {
      return this.#call('requestSecret', [name]);
    }

    cancelSecretRequest(requestId) {
      return this.#call('cancelSecretRequest', [requestId]);
    }

    answerSecretRequest(requestEvent, { deviceIsVerified = false } = {}) {
      return this.#call('answerSecretRequest', [requestEvent, { deviceIsVerified }]);
    }

    receiveSecret(decryptedEvent, { senderIsVerified = false } = {}) {
      return this.#call('receiveSecret', [decryptedEvent, { senderIsVerified }]);
    }

    exportRoomKeys(passphrase, { iterations } = {}) {
      return this.#withFileKey(
        passphrase,
        () => call('_newKeyFileParams', [iterations]),
        (key, p) => this.#call('_exportRoomKeysWithKey', [key, p.salt, p.iterations]),
        () => this.#call('exportRoomKeys', [passphrase, iterations]),
      );
    }

    importRoomKeys(text, passphrase, { onProgress } = {}) {
      return this.#withFileKey(
        passphrase,
        () => call('_keyFileParams', [text]),
        (key) => this.#call('_importRoomKeysWithKey', [text, key, onProgress]),
        () => this.#call('importRoomKeys', [text, passphrase, onProgress]),
      );
    }

    // Key files: Go reads or makes the PBKDF2 parameters, WebCrypto derives
    // the key off the JS thread (a file may ask for 10 million rounds), Go
    // does the rest with the key. Without WebCrypto (or if it refuses), Go
    // does it all, pausing every 20 ms of PBKDF2 so the event loop runs; so
    // it does for a passphrase that is not a non-empty string (so the error
    // is Go's).
    async #withFileKey(passphrase, params, keyed, inGo) {
      if (typeof passphrase !== 'string' || passphrase === '' || !rt.subtle) return inGo();
      const p = await params();
      const key = await webCryptoPBKDF2(rt.subtle, passphrase, p.salt, p.iterations, 512);
      if (!key) return inGo();
      try {
        return await keyed(key, p);
      } finally {
        key.fill(0);
      }
    }

    async close() {
      if (this.#closed) return;
      this.#closed = true;
      await call('close', [this.#handle]);
    }
  }

  /**
   * openDevice({ userId, deviceId, store, backend?, dbName?, storeKey | passphrase, fallbackKeyRetentionMs?, allowRollback? })
   */
  async function openDevice(options) {
    if (options === null || typeof options !== 'object') throw mxError('BAD_INPUT', 'openDevice: options must be an object');
    const { userId, deviceId, store, backend = 'indexeddb', dbName, storeKey, passphrase, fallbackKeyRetentionMs, allowRollback = false } = options;
    if (typeof allowRollback !== 'boolean') throw mxError('BAD_INPUT', 'openDevice: allowRollback must be a boolean');
    if (typeof store !== 'string' || store === '') throw mxError('BAD_INPUT', 'openDevice: store must be the store\'s name');
    if ((storeKey == null) === (passphrase == null)) throw mxError('BAD_INPUT', 'openDevice: give storeKey or passphrase');
    // The stores' lock (Web Locks, or Node's shared queue): tabs, workers
    // and runtimes take turns on the store, as with store.open.
    const open = [userId, deviceId, { backend, dbName, storeName: store, storeKey: storeKey?.slice(), passphrase, fallbackRetentionMs: fallbackKeyRetentionMs, allowRollback }, storeLocker(rt)];
    const r = await call('open', open);
    return new Device(TOKEN, r, open);
  }

  return { openDevice };
}

/**
 * A rejected Promise (BAD_INPUT) when value holds NaN or ±Infinity, which
 * JSON.stringify would silently send as null (so the recipient would read
 * another value than the caller passed); else undefined. Event content is
 * the caller's to build; what comes from a server went through JSON.parse,
 * which cannot produce these.
 */
function refuseNonFinite(value, what) {
  try {
    JSON.stringify(value, (_, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw mxError('BAD_INPUT', `${what} holds ${v}, which JSON cannot represent`);
      return v;
    });
  } catch (e) {
    return Promise.reject(e?.code ? e : mxError('BAD_INPUT', `${what} cannot be serialised as JSON: ${e?.message ?? e}`));
  }
  return undefined;
}
