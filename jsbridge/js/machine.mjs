// The machine API: the sans-IO E2EE state machine (Go package
// device/machine) over a device opened through device.mjs. The Go machine
// is addressed by its device's handle; if the wasm instance restarts, the
// device reopens its store and the machine attaches again (its requests in
// flight are forgotten; the ones that matter are in the store).
import { mxError, optionsArg } from './common.mjs';
import { guardClass } from './guard.mjs';
import { NO_HANDLE, deviceApi } from './device.mjs';

/** The MxCryptoError of a { failure } decryption result. */
function failureError(f) {
  const e = mxError(f.code, f.message);
  if (f.withheldCode !== undefined) {
    e.withheldCode = f.withheldCode;
    e.withheldReason = f.withheldReason;
  }
  return e;
}

export function machineApi(rt) {
  const call = (name, args) => rt.call(`_machine.${name}`, args);
  const { openDevice } = deviceApi(rt);
  const TOKEN = Symbol('machine');

  class Machine {
    #device;
    #handle;
    #closed = false;
    #attaching = null;

    /** @internal */
    constructor(token, device) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use openMachine()');
      machines.add(this);
      this.#device = device;
      this.#handle = device._handle;
      this.userId = device.userId;
      this.deviceId = device.deviceId;
      this.identityKeys = device.identityKeys;
    }

    /** The device under the machine (secret storage, export, …), on the same store. */
    get device() {
      return this.#device;
    }

    async #reattach() {
      await this.#device.roomKeyCounts(); // reopens the device's store on the new instance
      await call('attach', [this.#device._handle]);
      this.#handle = this.#device._handle;
    }

    async #call(name, args) {
      for (let attempt = 0; ; attempt++) {
        if (this.#closed) throw mxError('CLOSED', `Machine.${name}: the machine was closed`);
        if (this.#attaching) await this.#attaching;
        const handle = this.#handle;
        try {
          return await call(name, [handle, ...args]);
        } catch (e) {
          if (e?.code !== NO_HANDLE || this.#closed || attempt > 0) throw e;
          if (this.#handle === handle) {
            this.#attaching = this.#reattach().finally(() => { this.#attaching = null; });
          }
          await this.#attaching;
        }
      }
    }

    /**
     * The call as a direct one (jsbridge/machine_direct.go) when its
     * arguments have the types the Async export takes and Go can run it
     * now (an in-process store, no call under way); else undefined.
     */
    #now(name, roomId, args) {
      if (this.#closed || this.#attaching || typeof roomId !== 'string') return undefined;
      for (const a of args) {
        if (typeof a === 'string') continue;
        if (a === null || typeof a !== 'object' || a instanceof Uint8Array) return undefined;
      }
      let r;
      try {
        r = rt.directNow(`_machine.${name}`, [this.#handle, roomId, ...args]);
      } catch (e) {
        if (e?.code === NO_HANDLE || e?.code === undefined) return undefined; // reattach, or JSON.stringify threw: the Async path says it
        return { error: e };
      }
      return r === null || r === false ? undefined : { value: r };
    }

    /** Feed one /sync response: { toDeviceEvents, changedDevices: { changed, left }, oneTimeKeyCounts, unusedFallbackKeyTypes, nextBatch }. */
    receiveSyncChanges(changes = {}) {
      if (changes === null || typeof changes !== 'object') return Promise.reject(mxError('BAD_INPUT', 'Machine.receiveSyncChanges: changes must be an object'));
      return this.#call('receiveSyncChanges', [changes]);
    }

    /** [{ id, type, method, path, body }]: the same ids until marked as sent. */
    outgoingRequests() {
      return this.#call('outgoingRequests', []);
    }

    /** The answer to a request; status ≥ 400 with the Matrix error body. */
    markRequestAsSent(id, type, responseBody = null, options) {
      const { status = 200 } = optionsArg(options, 'Machine.markRequestAsSent');
      return this.#call('markRequestAsSent', [id, type, responseBody ?? null, { status }]);
    }

    updateTrackedUsers(userIds) {
      return this.#call('updateTrackedUsers', [userIds]);
    }

    trackedUsers() {
      return this.#call('trackedUsers', []);
    }

    getUserDevices(userId) {
      return this.#call('getUserDevices', [userId]);
    }

    setDeviceTrust(userId, deviceId, trust) {
      return this.#call('setDeviceTrust', [userId, deviceId, trust]);
    }

    /** Requests to send before encryptRoomEvent; call again until it returns []. */
    shareRoomKey(roomId, userIds, settings = {}) {
      return this.#call('shareRoomKey', [roomId, userIds, settings ?? {}]);
    }

    /** m.room.encrypted content; ROOM_KEY_NOT_SHARED until shareRoomKey gave the key out. */
    encryptRoomEvent(roomId, type, content) {
      const now = typeof type === 'string' ? this.#now('encryptRoomEvent', roomId, [type, content]) : undefined;
      if (now) return now.error ? Promise.reject(now.error) : Promise.resolve(now.value);
      return this.#call('encryptRoomEvent', [roomId, type, content]);
    }

    /** Rejects with UNKNOWN_SESSION, UNKNOWN_MESSAGE_INDEX, WITHHELD (withheldCode), REPLAYED_MESSAGE, MISMATCHED_SENDER, … */
    async decryptRoomEvent(roomId, event) {
      const now = this.#now('decryptRoomEvent', roomId, [event]);
      if (now?.error) throw now.error;
      const r = now ? now.value : await this.#call('decryptRoomEvent', [roomId, event]);
      if (r.failure) throw failureError(r.failure);
      return r;
    }

    /**
     * A timeline: the events of one room decrypted with one store lock and
     * one commit. One entry per event, in order: the decrypted event, or
     * { error } with the MxCryptoError decryptRoomEvent would have thrown.
     * Rejects only when the call itself fails (bad arguments, the store).
     */
    async decryptRoomEvents(roomId, events) {
      const rs = await this.#call('decryptRoomEvents', [roomId, events]);
      return rs.map((r) => (r.failure ? { error: failureError(r.failure) } : r));
    }

    syncToken() {
      return this.#call('syncToken', []);
    }

    setSyncToken(token) {
      return this.#call('setSyncToken', [token ?? null]);
    }

    /** A new backup version; its auth_data is signed by this device and, when held, our master key. */
    async createBackupVersion() {
      const created = await this.#device.createBackupVersion();
      created.body = await this.#call('signBackupVersion', [created.body]);
      return created;
    }

    /**
     * { version, publicKey, privateKey?: Uint8Array(32) | recovery key text }, or
     * { versionInfo, privateKey?: Uint8Array(32) }: the server's version, enabled only when trusted (UNTRUSTED_BACKUP otherwise).
     */
    enableBackup(backup) {
      if (backup === null || typeof backup !== 'object') return Promise.reject(mxError('BAD_INPUT', 'Machine.enableBackup: backup must be an object'));
      const { version, publicKey, privateKey, versionInfo } = backup;
      if (versionInfo !== undefined) {
        return this.#call('enableBackupVersion', privateKey == null ? [versionInfo] : [versionInfo, privateKey]);
      }
      return this.#call('enableBackup', [{ version, publicKey, privateKey: privateKey instanceof Uint8Array ? privateKey.slice() : privateKey }]);
    }

    disableBackup() {
      return this.#call('disableBackup', []);
    }

    restoreBackup(key, roomKeys, options) {
      return this.#device.restoreBackup(key, roomKeys, options);
    }

    /** Adds this device's and (when held) our master key's signatures to a backup version body { algorithm, auth_data }. */
    signBackupVersion(body) {
      return this.#call('signBackupVersion', [body]);
    }

    /** Trust of a backup version (the GET /room_keys/version answer): signed by our trusted master key or a trusted own device, or its key held. */
    verifyBackup(versionInfo) {
      return this.#call('verifyBackup', [versionInfo]);
    }

    // --- cross-signing ----------------------------------------------------

    /** New cross-signing keys: the /keys/device_signing/upload request to send (add `auth`), then markRequestAsSent. */
    bootstrapCrossSigning() {
      return this.#call('bootstrapCrossSigning', []);
    }

    /** Takes the cross-signing keys held here as local secrets (e.g. from m.secret.send) into use; checks them against the published ones. */
    importCrossSigningKeys() {
      return this.#call('importCrossSigningKeys', []);
    }

    /** Decrypts the m.cross_signing.* secrets ({ type: account data content }) with the secret-storage key, checks and imports them. */
    restoreCrossSigning(accountData, key, keyId) {
      return this.#call('restoreCrossSigning', [accountData, key, keyId]);
    }

    /** The held cross-signing keys encrypted for secret storage: { type: account data content } to PUT. */
    crossSigningSecretsForStorage(keyId, key) {
      return this.#call('crossSigningSecretsForStorage', [keyId, key]);
    }

    crossSigningStatus() {
      return this.#call('crossSigningStatus', []);
    }

    /** { userId, masterKey, verified, pinnedMasterKey, identityChanged, wasVerified }. */
    userIdentity(userId) {
      return this.#call('userIdentity', [userId]);
    }

    /** Accepts a user's changed master key (the identity change was seen). */
    pinIdentity(userId) {
      return this.#call('pinIdentity', [userId]);
    }

    /** Signs the user's master key with our user-signing key (queued signatures upload). */
    verifyUser(userId) {
      return this.#call('verifyUser', [userId]);
    }

    requestSecret(name) {
      return this.#call('requestSecret', [name]);
    }

    async close() {
      if (this.#closed) return;
      this.#closed = true;
      await this.#device.close();
    }
  }

  // Every method takes plain copies of its arguments and only rejects (guard.mjs).
  const machines = guardClass(Machine, 'Machine');

  /** openMachine(options): the options of openDevice. */
  async function openMachine(options) {
    const device = await openDevice(options);
    try {
      await call('attach', [device._handle]);
    } catch (e) {
      await device.close().catch(() => {});
      throw e;
    }
    return new Machine(TOKEN, device);
  }

  return { openMachine };
}
