// The API object init() resolves to: every area's functions and classes
// over one Runtime, each wrapped by guard.mjs. Areas live in their own
// modules; this file only assembles them.
import { mxError } from './common.mjs';
import { guardApi } from './guard.mjs';
import { checkEntries, decryptEntries, decryptFromBackup, decryptMany, encryptForBackup, prepareEntries, restoreDeriver } from './backup.mjs';
import { olmApi } from './olm.mjs';
import { megolmApi } from './megolm.mjs';
import { deviceApi } from './device.mjs';
import { machineApi } from './machine.mjs';
import { storeApi } from './store.mjs';
import { connectClient } from './client.mjs';
import { createSecretStorageKey, deriveKey } from './keys.mjs';

/** The API over rt (a Runtime whose first instance has started). */
export function buildApi(rt) {
  const call = (path) => (...args) => rt.call(path, args);
  return guardApi({
    /** Whether node:crypto primitives are lent to the Go side (Node only; see internal/accel). */
    get nativeCrypto() {
      return rt.current?.native ?? false;
    },
    /** Size of the running instance's wasm memory in bytes (it grows, never shrinks). */
    get wasmMemoryBytes() {
      return rt.current?.exports?.mem?.buffer.byteLength ?? 0;
    },
    recoveryKey: {
      encode: call('recoveryKey.encode'),
      decode: call('recoveryKey.decode'),
    },
    passphrase: {
      deriveKey: (passphrase, salt, iterations, bits = 256) => deriveKey(rt, passphrase, salt, iterations, bits),
    },
    secretStorage: {
      createKey: (opts = {}) => createSecretStorageKey(rt, opts),
      checkKey: call('secretStorage.checkKey'),
      encrypt: call('secretStorage.encrypt'),
      decrypt: call('secretStorage.decrypt'),
      encryptCurve25519: call('secretStorage.encryptCurve25519'),
      decryptCurve25519: call('secretStorage.decryptCurve25519'),
    },
    backup: {
      createKey: call('backup.createKey'),
      publicKey: call('backup.publicKey'),
      encrypt: (publicKey, sessionData) => encryptForBackup(rt, publicKey, sessionData),
      decrypt: (privateKey, encrypted) => decryptFromBackup(rt, privateKey, encrypted),
      decryptMany: (privateKey, roomKeys, opts = {}) => decryptMany(rt, privateKey, roomKeys, opts),
      /** @internal the per-thread part of decryptMany (restore-worker.mjs). */
      _decryptEntries: (privateKey, entries, onProgress) => {
        checkEntries(privateKey, entries, [onProgress], 'backup._decryptEntries');
        return decryptEntries(rt, privateKey, entries, onProgress ?? undefined);
      },
      /** @internal the per-thread part of Device.restoreBackup (restore-worker.mjs). */
      _prepareEntries: async (privateKey, entries, onBatch, onProgress) => {
        checkEntries(privateKey, entries, [onBatch, onProgress], 'backup._prepareEntries');
        if (typeof onBatch !== 'function') throw mxError('BAD_INPUT', 'backup._prepareEntries: onBatch must be a function');
        const derive = await restoreDeriver(rt, privateKey);
        if (!derive) throw mxError('INTERNAL', 'restore worker: no native X25519 in this thread');
        return prepareEntries(rt, derive, entries, onBatch, onProgress);
      },
    },
    olm: olmApi(rt),
    megolm: megolmApi(rt),
    openDevice: deviceApi(rt).openDevice,
    openMachine: machineApi(rt).openMachine,
    connect(options) { return connectClient(this, options); },
    store: storeApi(rt),
    canonicalJSON: signedJSONInput(call('canonicalJSON'), 'canonicalJSON'),
    signing: {
      verify: signedJSONInput(call('signing.verify'), 'signing.verify'),
    },
    // Failure injection, in the test build (dist/mxcrypto-test.wasm) only.
    ...(rt.current?.api?._debug ? {
      _debug: {
        panic: call('_debug.panic'),
        exit: call('_debug.exit'),
        sleep: call('_debug.sleep'),
        machineDirectCalls: call('_debug.machineDirectCalls'),
        /** A copy of the running instance's wasm memory, for tests that look for secrets left in it. */
        memory: () => new Uint8Array(rt.current?.exports?.mem?.buffer ?? new ArrayBuffer(0)).slice(),
      },
    } : {}),
  });
}

// JSON.stringify turns NaN and ±Infinity into null, which would make canonical
// JSON (and so a signature check) silently cover a different value. Refuse.
function signedJSONInput(fn, name) {
  return (value, ...rest) => {
    try {
      JSON.stringify(value, (_, v) => {
        if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${v} is not a JSON number`);
        return v;
      });
    } catch (e) {
      return Promise.reject(mxError('BAD_INPUT', `${name}: value cannot be serialised as JSON: ${e.message}`));
    }
    return fn(value, ...rest);
  };
}
