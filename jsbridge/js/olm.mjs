// Olm accounts and sessions for the JS API. Like the Megolm objects, each
// holds its state privately and runs its calls one at a time (two overlapping
// encrypts from one state would reuse a message key); nothing lives in Go
// between calls, so there is nothing to free.
import { mxError, optionsArg, serialize, pickleKeyBytes } from './common.mjs';
import { guardClass } from './guard.mjs';

// Settings cross direct calls as numbers, or null when unset.
const num = (v) => v ?? null;

// A { type, body } message as two direct-call arguments.
function messageArgs(message) {
  if (message === null || typeof message !== 'object' || typeof message.type !== 'number' || typeof message.body !== 'string') {
    throw mxError('BAD_INPUT', 'message must be {type: 0 | 1, body: string}');
  }
  return [message.type, message.body];
}

export function olmApi(rt) {
  const call = (name, args) => rt.call(`_olm.${name}`, args);
  const TOKEN = Symbol('olm');

  class Account {
    #state;
    #queue = serialize();
    #settings;
    /** @internal */
    constructor(token, r, settings) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use olm.createAccount(), olm.unpickleAccount() or olm.importLibolmAccount()');
      accounts.add(this);
      this.#settings = settings;
      this.#update(r);
    }

    #update(r) {
      this.#state = r.state;
      /** { curve25519, ed25519 }, unpadded base64. */
      this.identityKeys = r.identityKeys;
      this.maxNumberOfOneTimeKeys = r.maxNumberOfOneTimeKeys;
      this.#view = r;
    }

    #view;

    // Account calls carry the clock reading and the fallback-key settings.
    #opts() {
      const { now, fallbackRotationPeriodMs, fallbackRetentionMs } = this.#settings;
      return { now: now(), fallbackRotationPeriodMs, fallbackRetentionMs };
    }

    // The same for direct calls (see direct.mjs), settings as three numbers.
    #directArgs(args) {
      const { now, fallbackRotationPeriodMs, fallbackRetentionMs } = this.#opts();
      return [this.#state, num(now), num(fallbackRotationPeriodMs), num(fallbackRetentionMs), ...args];
    }

    #read(name, args = []) {
      return this.#queue(() => call(name, [this.#state, this.#opts(), ...args]));
    }

    #mutate(name, args = []) {
      return this.#queue(async () => {
        const r = await call(name, [this.#state, this.#opts(), ...args]);
        this.#update(r);
        return r.result;
      });
    }

    /** Ed25519 signature (unpadded base64) of a UTF-8 message. */
    sign(message) {
      return this.#read('accountSign', [message]);
    }

    generateOneTimeKeys(count) {
      return this.#mutate('accountGenerateOneTimeKeys', [count]).then(() => undefined);
    }

    /** Unpublished one-time keys: { keyId: publicKey }. */
    async unpublishedOneTimeKeys() {
      await this.#queue(() => undefined);
      return { ...this.#view.unpublishedOneTimeKeys };
    }

    /** Number of private one-time keys held. */
    async oneTimeKeyCount() {
      await this.#queue(() => undefined);
      return this.#view.oneTimeKeyCount;
    }

    markKeysAsPublished() {
      return this.#mutate('accountMarkKeysAsPublished').then(() => undefined);
    }

    generateFallbackKey() {
      return this.#mutate('accountGenerateFallbackKey').then(() => undefined);
    }

    /** The unpublished fallback key, if any: { keyId: publicKey }. */
    async unpublishedFallbackKey() {
      await this.#queue(() => undefined);
      return { ...this.#view.unpublishedFallbackKey };
    }

    /**
     * Make a new fallback key when one is due: none yet, the server no longer
     * lists signed_curve25519 in `device_unused_fallback_key_types` (pass that
     * array from /sync; undefined when /sync did not say), the current key was
     * used, or it is older than the rotation period. Old keys past the
     * retention window are forgotten. Resolves to whether a key was made.
     */
    rotateFallbackKeyIfNeeded(unusedFallbackKeyTypes) {
      return this.#mutate('accountRotateFallbackKeyIfNeeded', unusedFallbackKeyTypes == null ? [] : [unusedFallbackKeyTypes]);
    }

    /** The fallback keys held, newest first, with their times (ms; null if not yet). */
    async fallbackKeyStatus() {
      await this.#queue(() => undefined);
      return this.#view.fallbackKeyStatus.map((k) => ({ ...k }));
    }

    /** The POST /keys/upload body: device_keys, one_time_keys, fallback_keys (all signed). */
    keysForUpload(userId, deviceId) {
      return this.#read('accountKeysForUpload', [userId, deviceId]);
    }

    /** A session to a device, from its identity key and a one-time or fallback key. */
    async createOutboundSession(theirIdentityKey, theirOneTimeKey) {
      return new Session(TOKEN, await this.#queue(() => rt.direct('olm.accountCreateOutboundSession', this.#directArgs([theirIdentityKey, theirOneTimeKey]))));
    }

    /**
     * A session from a received pre-key message, with the message decrypted:
     * { session, plaintext }. The one-time key used is removed (a fallback
     * key is marked used) only when decryption succeeds.
     */
    async createInboundSession(theirIdentityKey, message) {
      const r = await this.#queue(async () => {
        const r = await rt.direct('olm.accountCreateInboundSession', this.#directArgs([theirIdentityKey, ...messageArgs(message)]));
        this.#update(r);
        return r.result;
      });
      return { session: new Session(TOKEN, r.session), plaintext: r.plaintext };
    }

    /** The account sealed under a 32-byte key (mxcrypto's format). */
    pickle(pickleKey) {
      return this.#read('accountPickle', [pickleKey]);
    }

    /** The account as a libolm (v4) pickle, when it fits libolm's limits. */
    exportLibolmPickle(pickleKey) {
      return this.#read('accountExportLibolm', [pickleKeyBytes(pickleKey)]);
    }
  }

  class Session {
    #state;
    #queue = serialize();
    /** @internal */
    constructor(token, r) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'sessions come from an Account, olm.unpickleSession() or olm.importLibolmSession()');
      sessions.add(this);
      this.#update(r);
    }

    #update(r) {
      this.#state = r.state;
      this.sessionId = r.sessionId;
      this.hasReceivedMessage = r.hasReceivedMessage;
    }

    #mutate(name, args) {
      return this.#queue(async () => {
        const r = await rt.direct(name, [this.#state, ...args]);
        this.#update(r);
        return r.result;
      });
    }

    /** Encrypt: { type: 0 (pre-key) | 1, body }. */
    encrypt(plaintext) {
      return this.#mutate('olm.sessionEncrypt', [plaintext]);
    }

    /** Decrypt a { type, body } message; a failure changes nothing. */
    async decrypt(message) {
      return this.#mutate('olm.sessionDecrypt', messageArgs(message));
    }

    /** Whether a pre-key message belongs to this session (optionally checking the sender's identity key). */
    matchesInbound(message, theirIdentityKey) {
      return this.#queue(() => call('sessionMatchesInbound', theirIdentityKey === undefined ? [this.#state, message] : [this.#state, message, theirIdentityKey]));
    }

    pickle(pickleKey) {
      return this.#queue(() => call('sessionPickle', [this.#state, pickleKey]));
    }

    exportLibolmPickle(pickleKey) {
      return this.#queue(() => call('sessionExportLibolm', [this.#state, pickleKeyBytes(pickleKey)]));
    }
  }

  const accounts = guardClass(Account, 'Account');
  const sessions = guardClass(Session, 'Session');

  const settingsOf = (options) => {
    const { now = Date.now, fallbackRotationPeriodMs, fallbackRetentionMs } = optionsArg(options, 'account options');
    if (typeof now !== 'function') throw mxError('BAD_INPUT', 'options.now must be a function returning ms since the epoch');
    return { now, fallbackRotationPeriodMs, fallbackRetentionMs };
  };

  return {
    Account,
    Session,
    /**
     * A new account. options: now() (ms; injectable clock), fallbackRotationPeriodMs
     * (default 7 days), fallbackRetentionMs (default 30 days).
     */
    async createAccount(options) {
      const settings = settingsOf(options);
      return new Account(TOKEN, await call('accountCreate', [{ ...settings, now: settings.now() }]), settings);
    },
    async unpickleAccount(pickle, pickleKey, options) {
      return new Account(TOKEN, await call('accountUnpickle', [pickle, pickleKey]), settingsOf(options));
    },
    async importLibolmAccount(pickle, pickleKey, options) {
      const settings = settingsOf(options);
      return new Account(TOKEN, await call('accountImportLibolm', [pickle, pickleKeyBytes(pickleKey), { ...settings, now: settings.now() }]), settings);
    },
    async unpickleSession(pickle, pickleKey) {
      return new Session(TOKEN, await call('sessionUnpickle', [pickle, pickleKey]));
    },
    async importLibolmSession(pickle, pickleKey) {
      return new Session(TOKEN, await call('sessionImportLibolm', [pickle, pickleKeyBytes(pickleKey)]));
    },
  };
}
