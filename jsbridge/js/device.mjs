// The device API: one Matrix device's encryption state in a key store
// (IndexedDB in browsers, or memory), driven with Matrix JSON shapes.
//
// The Go side keeps the open store behind a handle. If the wasm instance
// restarts, the handle is gone but the state is in the store, so the device
// opens it again and retries the call once. A memory store does not survive
// a restart: calls then fail with INSTANCE_EXITED.
import { mxError, optionsArg } from './common.mjs';
import { checkRestoreOptions, prepareRestore, restoreDeriver } from './backup.mjs';
import { storeLocker, storeOptions } from './store.mjs';
import { guardClass } from './guard.mjs';

// What Go answers for a handle it does not hold (jsbridge/handles.go): the
// instance restarted since the device was opened. Never shown to callers.
export const NO_HANDLE = 'NO_STORE';

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
      devices.add(this);
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
          if (e?.code !== NO_HANDLE) throw e;
          if (this.#closed) throw mxError('CLOSED', `Device.${name}: the device was closed`);
          if (attempt > 0) throw mxError('INSTANCE_EXITED', `Device.${name}: mxcrypto restarted again during the call`);
          // The instance restarted (its handles are gone): open the store again (once, for all callers).
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
        if (e?.code === NO_HANDLE) {
          if (this.#closed) throw mxError('CLOSED', 'Device.restoreBackup: the device was closed');
          throw mxError('INSTANCE_EXITED', 'Device.restoreBackup: mxcrypto restarted during the restore; nothing was stored: run it again');
        }
        throw e;
      }
    }

    /** The POST /keys/upload body when the server needs keys, else null. Pass /sync's counts; unusedFallbackKeyTypes null when /sync lacks it. */
    keysForUpload(sync) {
      const { oneTimeKeyCounts = null, unusedFallbackKeyTypes = null } = optionsArg(sync, 'Device.keysForUpload');
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
    encryptToDevice(device, type, content) {
      const { userId, deviceId } = optionsArg(device, 'Device.encryptToDevice');
      return this.#call('encryptToDevice', [userId, deviceId, type, content]);
    }

    /** Decrypt an m.room.encrypted to-device event (the whole event). */
    decryptToDevice(event) {
      return this.#call('decryptToDevice', [event]);
    }

    /** { content, roomKey, sessionId }: roomKey (when not null) must reach every device in the room first. */
    encryptRoomEvent(roomId, type, content, rotation = {}) {
      return this.#call('encryptRoomEvent', [roomId, type, content, rotation]); // guard.mjs refused NaN and ±Infinity in content
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

    enableBackup(info) {
      const { version, publicKey } = optionsArg(info, 'Device.enableBackup');
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

    /** The fallback keys held, current first, with their times and when each replaced one may be forgotten. */
    fallbackKeyStatus() {
      return this.#call('fallbackKeyStatus', []);
    }

    /**
     * key: the 32-byte backup private key or its recovery key text. With a
     * native X25519 here, keys are decrypted and checked in batches (in
     * workers for big bodies) and handed to the store as they come; without
     * one, Go does it all. Either way they are stored in one transaction.
     */
    async restoreBackup(key, roomKeys, options) {
      const { onProgress, workers, _workerSlice } = checkRestoreOptions(options, 'Device.restoreBackup');
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

    answerSecretRequest(requestEvent, options) {
      const { deviceIsVerified = false } = optionsArg(options, 'Device.answerSecretRequest');
      return this.#call('answerSecretRequest', [requestEvent, { deviceIsVerified }]);
    }

    receiveSecret(decryptedEvent, options) {
      const { senderIsVerified = false } = optionsArg(options, 'Device.receiveSecret');
      return this.#call('receiveSecret', [decryptedEvent, { senderIsVerified }]);
    }

    exportRoomKeys(passphrase, options) {
      const { iterations } = optionsArg(options, 'Device.exportRoomKeys');
      return this.#call('exportRoomKeys', [passphrase, iterations]);
    }

    importRoomKeys(text, passphrase, options) {
      const { onProgress } = optionsArg(options, 'Device.importRoomKeys');
      return this.#call('importRoomKeys', [text, passphrase, onProgress]);
    }

    async close() {
      if (this.#closed) return;
      this.#closed = true;
      await call('close', [this.#handle]);
    }
  }

  const devices = guardClass(Device, 'Device');

  /**
   * openDevice({ userId, deviceId, store, backend?, dbName?, path?, storeKey | passphrase, iterations?, fallbackRetentionMs? }):
   * the store options are store.open's (store is its name; backend defaults to indexeddb).
   */
  async function openDevice(options) {
    if (options === null || typeof options !== 'object') throw mxError('BAD_INPUT', 'openDevice: options must be an object');
    const { userId, deviceId, store, fallbackRetentionMs } = options;
    if (typeof store !== 'string' || store === '') throw mxError('BAD_INPUT', 'openDevice: store must be the store\'s name');
    const spec = await storeOptions({ ...options, name: store }, 'openDevice', { defaultBackend: 'indexeddb' });
    // The stores' lock (Web Locks, or Node's shared queue): tabs, workers
    // and runtimes take turns on the store, as with store.open.
    const open = [userId, deviceId, spec, { fallbackRetentionMs }, storeLocker(rt)];
    const r = await call('open', open);
    return new Device(TOKEN, r, open);
  }

  return { openDevice };
}
