// Types for the mxcrypto package (jsbridge/js/, copied to dist/ by the build).

/**
 * Every function and method returns a Promise, whatever it is
 * passed: arguments are copied when the call is made, and anything unreadable (a Proxy, a getter
 * that throws, a detached buffer, a BigInt, a cycle, more than 256 MiB) rejects with BAD_INPUT.
 * A callback (`now`, `onProgress`) that throws fails its call with BAD_INPUT; `cause` is what it threw.
 *
 * Every rejection is an Error with a stable `code`:
 * - `BAD_INPUT`: wrong argument type, length or shape.
 * - `BAD_BASE64`: a field that must be base64 is not.
 * - `BAD_MAC`: secret storage MAC mismatch (wrong key or secret name, or altered data).
 * - `BAD_RECOVERY_KEY`: not a recovery key (alphabet, length, prefix or parity).
 * - `WRONG_KEY`: the data was encrypted to a different key (backup, curve25519 secret storage).
 * - `BAD_MESSAGE`: decrypted data is malformed (padding, not a JSON object).
 * - `UNSUPPORTED_ALGORITHM`: an algorithm mxcrypto does not implement.
 * - `BAD_SIGNATURE`: an Ed25519 signature did not verify (Megolm session keys and messages).
 * - `BAD_PICKLE`: a pickle is damaged, truncated or of an unknown version (a wrong key is `WRONG_KEY`).
 * - `UNKNOWN_MESSAGE_INDEX`: the message key is not available (below the first known index, skipped too far, or already used).
 * - `UNKNOWN_ONE_TIME_KEY`: a pre-key message names a one-time or fallback key this account does not hold.
 * - `REPLAYED_MESSAGE`: a message index came again with a different event id.
 * - `INSTANCE_EXITED`: the wasm instance stopped during the call; the next call starts a new one.
 * - `NOT_LOADED`: the module could not be loaded.
 * - `INTERNAL`: a bug in mxcrypto (including a recovered panic).
 * - `NO_OLM_SESSION`: no Olm session with the device (claim a key, `createOutboundSessions`).
 * - `UNKNOWN_SESSION`: the room key of an event is not held (wait, request it, restore the backup).
 * - `BACKUP_NOT_ENABLED`: call `enableBackup` first.
 * - `ROOM_KEY_CONFLICT`: a copy of a held room key disagrees with it (its ratchet does not connect, or it names another creator than the copy received over Olm); refused, the held copy kept.
 * - `CLOSED`: the key store was closed.
 * - `STORE_FAILURE`: the key store's storage failed (IndexedDB missing, quota exceeded, a transaction aborted, a file error); the message gives the cause.
 * - `STORE_VERSION`: the key store was written by a newer mxcrypto (or an old format with no migration).
 * - `STORE_CORRUPT`: a key store file is damaged (fails authentication, does not decode, or is missing); never papered over with an older generation.
 * - `STORE_ROLLED_BACK`: the key store is older than the newest state this origin committed (an older copy was restored); open it with `allowRollback: true` to continue from it.
 * - `MISMATCHED_SENDER`: the room key of an event was sent by a device that is not the event's `sender`'s.
 * - `WITHHELD`: the sender withheld the room key (`withheldCode` on the error: m.unverified, m.blacklisted, m.no_olm, …).
 * - `ROOM_KEY_NOT_SHARED`: Machine.encryptRoomEvent before shareRoomKey gave the room key out (or it needs rotating).
 * - `DEVICE_KEYS_CHANGED`: a /keys/query answer changed the keys of a known device (refused).
 * - `NO_CROSS_SIGNING`: no usable cross-signing keys (none published, or the private keys are not held here).
 * - `UNTRUSTED_BACKUP`: a backup version signed by nobody trusted (nor its key held): nothing is uploaded to it.
 * - `HOMESERVER_ERROR`: mx.connect: the homeserver refused a request, or retries were spent (`status`, 0 for a network error; `errcode`; `body`).
 */
export type MxCryptoErrorCode =
  | 'BAD_INPUT'
  | 'BAD_BASE64'
  | 'BAD_MAC'
  | 'BAD_RECOVERY_KEY'
  | 'WRONG_KEY'
  | 'BAD_MESSAGE'
  | 'UNSUPPORTED_ALGORITHM'
  | 'BAD_SIGNATURE'
  | 'BAD_PICKLE'
  | 'UNKNOWN_MESSAGE_INDEX'
  | 'UNKNOWN_ONE_TIME_KEY'
  | 'REPLAYED_MESSAGE'
  | 'INSTANCE_EXITED'
  | 'NOT_LOADED'
  | 'INTERNAL'
  // Device API and its store:
  | 'NO_OLM_SESSION'
  | 'UNKNOWN_SESSION'
  | 'BACKUP_NOT_ENABLED'
  | 'ROOM_KEY_CONFLICT'
  | 'CLOSED'
  | 'STORE_FAILURE'
  | 'STORE_VERSION'
  | 'STORE_CORRUPT'
  | 'STORE_ROLLED_BACK'
  // Machine API:
  | 'MISMATCHED_SENDER'
  | 'WITHHELD'
  | 'ROOM_KEY_NOT_SHARED'
  | 'DEVICE_KEYS_CHANGED'
  | 'NO_CROSS_SIGNING'
  | 'UNTRUSTED_BACKUP'
  // mx.connect:
  | 'HOMESERVER_ERROR';

export interface MxCryptoError extends Error {
  name: 'MxCryptoError';
  code: MxCryptoErrorCode;
  /** WITHHELD only: the code the sender gave (m.unverified, m.blacklisted, m.no_olm, m.unauthorised, m.unavailable). */
  withheldCode?: string;
  withheldReason?: string;
  /** HOMESERVER_ERROR only: the HTTP status (0: network error), the Matrix errcode and the error body. */
  status?: number;
  errcode?: string;
  body?: JsonObject | null;
}

export interface InitOptions {
  /**
   * The module: a URL, a file path (Node), bytes, a fetch Response or a compiled module. Default: the package's mxcrypto.wasm, next to the loader.
   * mxcrypto-core.wasm (`mxcrypto/mxcrypto-core.wasm`) is the same without the store and device APIs (about 400 KiB smaller gzipped); with it, openDevice rejects with NOT_LOADED.
   */
  wasm?: string | URL | Uint8Array | ArrayBuffer | Response | WebAssembly.Module;
  /** false: do everything in Go, never WebCrypto or node:crypto (tests and benchmarks). Default true. */
  webCrypto?: boolean;
}

/** Unpadded base64 is written; padded base64 is accepted. */
export type Base64 = string;

/** `m.pbkdf2` block of a key description. */
export interface PassphraseInfo {
  algorithm: 'm.pbkdf2';
  salt: string;
  iterations: number;
  bits?: number;
}

/** Content of `m.secret_storage.key.<keyId>` account data. */
export interface SecretStorageKeyInfo {
  algorithm: 'm.secret_storage.v1.aes-hmac-sha2' | 'm.secret_storage.v1.curve25519-aes-sha2' | string;
  name?: string;
  passphrase?: PassphraseInfo;
  /** aes-hmac-sha2 key check. */
  iv?: Base64;
  mac?: Base64;
  /** curve25519-aes-sha2 public key. */
  pubkey?: Base64;
  [extra: string]: unknown;
}

export interface CreatedSecretStorageKey {
  keyId: string;
  key: Uint8Array;
  keyInfo: SecretStorageKeyInfo;
  /** The key as the user writes it down: 12 groups of 4 base58 characters. */
  recoveryKey: string;
}

/** `m.secret_storage.v1.aes-hmac-sha2` encrypted secret. */
export interface AesHmacEncrypted {
  iv: Base64;
  ciphertext: Base64;
  mac: Base64;
}

/** libolm PkEncryption output: backup session_data and curve25519 secret storage. */
export interface PkEncrypted {
  ciphertext: Base64;
  ephemeral: Base64;
  mac: Base64;
}

/** Decrypted backup session data (BackedUpSessionData); other fields are kept. */
export interface BackedUpSessionData {
  algorithm: string;
  sender_key: string;
  sender_claimed_keys: Record<string, string>;
  forwarding_curve25519_key_chain?: string[];
  session_key: string;
  [extra: string]: unknown;
}

export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: PkEncrypted;
}

/** Body of `GET /room_keys/keys`. */
export interface RoomKeysBody {
  rooms: Record<string, { sessions: Record<string, KeyBackupData> }>;
}

export interface DecryptManyResult {
  sessions: { roomId: string; sessionId: string; sessionData: BackedUpSessionData }[];
  /** `WRONG_KEY`: made for another backup key; `BAD_BASE64` / `BAD_INPUT` / `BAD_MESSAGE`: corrupt entry. */
  failures: { roomId: string; sessionId: string; code: MxCryptoErrorCode }[];
}

/** A libolm pickle key: any byte string (libolm's JS API takes it as a string). */
export type LibolmPickleKey = string | Uint8Array;

/** An Olm message as carried in m.room.encrypted: type 0 = pre-key, 1 = normal. */
export interface OlmMessage {
  type: 0 | 1;
  body: Base64;
}

export interface FallbackKeyStatus {
  keyId: string;
  publicKey: Base64;
  /** The key being published now (others are kept only to decrypt late pre-key messages). */
  current: boolean;
  /** Times in ms since the epoch; null when it has not happened. */
  created: number;
  published: number | null;
  replaced: number | null;
  used: number | null;
}

export interface DeviceFallbackKeyStatus extends FallbackKeyStatus {
  /**
   * A replaced key: the earliest time its private key is forgotten (replaced + the device's
   * fallbackRetentionMs). null for the current key.
   */
  forgetAt: number | null;
  /** The most recently replaced key: kept past forgetAt until the next rotation replaces the current key. */
  keptUntilNextRotation: boolean;
}

export interface AccountOptions {
  /** Injectable clock in ms since the epoch (default Date.now). */
  now?: () => number;
  /** A fallback key older than this is replaced (default 7 days). */
  fallbackRotationPeriodMs?: number;
  /** An old fallback key is kept this long after it was replaced (default 30 days; the last replaced one is always kept). */
  fallbackRetentionMs?: number;
}

/**
 * An Olm account. State is held by the object itself (no free() needed);
 * calls on one object run one at a time.
 */
export interface OlmAccount {
  readonly identityKeys: { curve25519: Base64; ed25519: Base64 };
  readonly maxNumberOfOneTimeKeys: number;
  sign(message: string): Promise<Base64>;
  generateOneTimeKeys(count: number): Promise<void>;
  /** { keyId: publicKey } of one-time keys not yet marked published. */
  unpublishedOneTimeKeys(): Promise<Record<string, Base64>>;
  oneTimeKeyCount(): Promise<number>;
  markKeysAsPublished(): Promise<void>;
  generateFallbackKey(): Promise<void>;
  unpublishedFallbackKey(): Promise<Record<string, Base64>>;
  /** Pass /sync's device_unused_fallback_key_types (undefined if absent). Resolves to whether a new key was made. */
  rotateFallbackKeyIfNeeded(unusedFallbackKeyTypes?: string[] | null): Promise<boolean>;
  fallbackKeyStatus(): Promise<FallbackKeyStatus[]>;
  /** The POST /keys/upload body (device_keys, one_time_keys, fallback_keys), signed. */
  keysForUpload(userId: string, deviceId: string): Promise<{ device_keys?: object; one_time_keys?: object; fallback_keys?: object }>;
  createOutboundSession(theirIdentityKey: Base64, theirOneTimeKey: Base64): Promise<OlmSession>;
  /** Rejects with UNKNOWN_ONE_TIME_KEY when the key is not (or no longer) held. */
  createInboundSession(theirIdentityKey: Base64, message: OlmMessage): Promise<{ session: OlmSession; plaintext: string }>;
  /** Sealed with a 32-byte key (XChaCha20-Poly1305). */
  pickle(pickleKey: Uint8Array): Promise<string>;
  exportLibolmPickle(pickleKey: LibolmPickleKey): Promise<string>;
}

export interface OlmSession {
  readonly sessionId: string;
  readonly hasReceivedMessage: boolean;
  encrypt(plaintext: string): Promise<OlmMessage>;
  /** A failed decrypt changes nothing; a duplicate is UNKNOWN_MESSAGE_INDEX. */
  decrypt(message: OlmMessage): Promise<string>;
  matchesInbound(message: OlmMessage, theirIdentityKey?: Base64): Promise<boolean>;
  pickle(pickleKey: Uint8Array): Promise<string>;
  /**
   * The bytes libolm would write. vodozemac (0.10.0) reads a pickle holding five receiver chains
   * so that the peer's next chain replaces the newest one: late messages on it then fail there
   * (as with libolm's own pickles).
   */
  exportLibolmPickle(pickleKey: LibolmPickleKey): Promise<string>;
}

export interface MegolmOutboundSession {
  readonly sessionId: Base64;
  /** Index of the next message. */
  readonly messageIndex: number;
  /** Creation time (ms), unknown for libolm imports. */
  readonly createdAt?: number;
  encrypt(plaintext: string): Promise<Base64>;
  /** Session-sharing format (v2, signed) at the current index. */
  sessionKey(): Promise<Base64>;
  /** Content of the m.room_key to-device event (send it over Olm). */
  roomKeyContent(roomId: string, options?: { sharedHistory?: boolean }): Promise<{ algorithm: string; room_id: string; session_id: string; session_key: string }>;
  /** Per the room's m.room.encryption content (rotation_period_ms / _msgs, with defaults). */
  needsRotation(encryptionContent?: object | null, now?: number): Promise<boolean>;
  pickle(pickleKey: Uint8Array): Promise<string>;
  exportLibolmPickle(pickleKey: LibolmPickleKey): Promise<string>;
}

export interface MegolmInboundSession {
  readonly sessionId: Base64;
  readonly firstKnownIndex: number;
  /** Whether the session key's signature was checked (created from a v2 session key). */
  readonly isVerified: boolean;
  /** UNKNOWN_MESSAGE_INDEX below the first known index; BAD_MAC / BAD_SIGNATURE on tampering. */
  decrypt(message: Base64): Promise<{ plaintext: string; messageIndex: number }>;
  /** Export format (v1) at `index` (default: the first known index). */
  export(index?: number): Promise<Base64>;
  pickle(pickleKey: Uint8Array): Promise<string>;
  exportLibolmPickle(pickleKey: LibolmPickleKey): Promise<string>;
}

export interface RoomKeyInfo {
  session: MegolmInboundSession;
  roomId: string;
  sessionId: Base64;
  senderKey: Base64;
  senderClaimedEd25519Key: Base64;
  forwardingCurve25519KeyChain: Base64[];
  sharedHistory: boolean;
  forwarded: boolean;
}

/** (sessionId, messageIndex) → eventId; a second event id for the same index is a replay. */
export declare class ReplayGuard {
  /** What export() wrote; anything else is BAD_INPUT. */
  static import(json: string): Promise<ReplayGuard>;
  /** Rejects with REPLAYED_MESSAGE. */
  check(sessionId: string, messageIndex: number, eventId: string): Promise<void>;
  forget(sessionId: string): Promise<void>;
  readonly size: number;
  export(): Promise<string>;
}

export interface MxCrypto {
  /** The stateful device API over a key store (IndexedDB, or memory). */
  openDevice(options: OpenDeviceOptions): Promise<Device>;
  /** The sans-IO E2EE machine over a device (tracking, key sharing, key requests, backup uploads). */
  openMachine(options: OpenMachineOptions): Promise<Machine>;
  /** Log in (or use a token), open the machine over the key store, and run the /sync loop: a small Matrix client. */
  connect(options: ConnectOptions): Promise<Client>;
  /** Whether node:crypto's X25519, Ed25519 signing, AES-CBC and HMAC are lent to the Go side (Node only; results are identical, only faster). */
  readonly nativeCrypto: boolean;
  /** Size of the running instance's wasm memory in bytes (it grows, never shrinks). */
  readonly wasmMemoryBytes: number;
  /** The encrypted key store. */
  store: {
    Store: typeof Store;
    open(options: StoreOpenOptions): Promise<Store>;
  };
  olm: {
    createAccount(options?: AccountOptions): Promise<OlmAccount>;
    unpickleAccount(pickle: string, pickleKey: Uint8Array, options?: AccountOptions): Promise<OlmAccount>;
    /** libolm Account pickles, versions 2–4. */
    importLibolmAccount(pickle: string, pickleKey: LibolmPickleKey, options?: AccountOptions): Promise<OlmAccount>;
    unpickleSession(pickle: string, pickleKey: Uint8Array): Promise<OlmSession>;
    importLibolmSession(pickle: string, pickleKey: LibolmPickleKey): Promise<OlmSession>;
  };
  megolm: {
    createOutboundSession(): Promise<MegolmOutboundSession>;
    unpickleOutboundSession(pickle: string, pickleKey: Uint8Array): Promise<MegolmOutboundSession>;
    importLibolmOutboundSession(pickle: string, pickleKey: LibolmPickleKey): Promise<MegolmOutboundSession>;
    /** From a session key (v2); the signature is checked (BAD_SIGNATURE). */
    createInboundSession(sessionKey: Base64): Promise<MegolmInboundSession>;
    /** From an export (v1). */
    importInboundSession(exportedKey: Base64): Promise<MegolmInboundSession>;
    unpickleInboundSession(pickle: string, pickleKey: Uint8Array): Promise<MegolmInboundSession>;
    importLibolmInboundSession(pickle: string, pickleKey: LibolmPickleKey): Promise<MegolmInboundSession>;
    /** Of two copies of one session, the one reaching further back ('conflict' if they disagree: existing kept). */
    keepBetter(existing: MegolmInboundSession, incoming: MegolmInboundSession): Promise<{ session: MegolmInboundSession; kept: 'existing' | 'incoming' | 'conflict' }>;
    /** m.room_key content; the sender keys come from the Olm layer that carried it. */
    parseRoomKey(content: object, sender: { senderKey: Base64; senderClaimedEd25519Key: Base64 }): Promise<RoomKeyInfo>;
    parseForwardedRoomKey(content: object): Promise<RoomKeyInfo>;
    ReplayGuard: typeof ReplayGuard;
  };
  recoveryKey: {
    /** 32-byte key → "EsTc LW2K …" (48 base58 characters in groups of 4). */
    encode(key: Uint8Array): Promise<string>;
    /** Any whitespace is ignored. Rejects with BAD_RECOVERY_KEY. */
    decode(text: string): Promise<Uint8Array>;
  };
  passphrase: {
    /** PBKDF2-HMAC-SHA-512 over the UTF-8 passphrase and salt string; WebCrypto when available. */
    deriveKey(passphrase: string, salt: string, iterations: number, bits?: number): Promise<Uint8Array>;
  };
  secretStorage: {
    /** A new key (random, or derived from a passphrase with 500,000 iterations by default) and its description. */
    createKey(options?: { passphrase?: string; name?: string; iterations?: number }): Promise<CreatedSecretStorageKey>;
    /** Whether `key` is the key `keyInfo` describes (constant-time). True when the description has no check. */
    checkKey(key: Uint8Array, keyInfo: SecretStorageKeyInfo): Promise<boolean>;
    /** Encrypt a secret for the account data type `name` (e.g. "m.cross_signing.master"). */
    encrypt(secret: string, key: Uint8Array, name: string): Promise<AesHmacEncrypted>;
    /** Rejects with BAD_MAC on a wrong key, wrong name or altered data. */
    decrypt(encrypted: AesHmacEncrypted, key: Uint8Array, name: string): Promise<string>;
    /** The pre-2020 `m.secret_storage.v1.curve25519-aes-sha2` algorithm (read old accounts). */
    encryptCurve25519(secret: string, publicKey: Base64): Promise<PkEncrypted>;
    decryptCurve25519(encrypted: PkEncrypted, privateKey: Uint8Array): Promise<string>;
  };
  backup: {
    createKey(): Promise<{ privateKey: Uint8Array; publicKey: Base64 }>;
    /** `auth_data.public_key` for a backup private key. */
    publicKey(privateKey: Uint8Array): Promise<Base64>;
    /** Encrypt one room key's session data to the backup public key. */
    encrypt(publicKey: Base64, sessionData: object): Promise<PkEncrypted>;
    /** Rejects with WRONG_KEY when made for another key. */
    decrypt(privateKey: Uint8Array, encrypted: PkEncrypted): Promise<BackedUpSessionData>;
    /** Decrypt a whole `GET /room_keys/keys` body in one call. */
    decryptMany(
      privateKey: Uint8Array,
      roomKeys: RoomKeysBody,
      options?: {
        onProgress?: (done: number, total: number) => void;
        /** Worker threads to spread the work over; default: one per core (up to 4) for 3,000+ keys, else 0. */
        workers?: number;
      },
    ): Promise<DecryptManyResult>;
  };
  /** Matrix canonical JSON (sorted keys, integers only, minimal escaping). */
  canonicalJSON(value: unknown): Promise<string>;
  signing: {
    /** Check `object.signatures[userId][keyId]` (e.g. keyId "ed25519:DEVICE") against an unpadded-base64 Ed25519 key. */
    verify(object: object, userId: string, keyId: string, publicKey: Base64): Promise<boolean>;
  };
}

/** Load the module (compiled once, restarted transparently if it ever exits). */
export function init(options?: InitOptions): Promise<MxCrypto>;

// --- Device API --------------------------------------------------------------

/**
 * openDevice's options: the store options of `store.open` (one function opens stores for both),
 * with `store` as the store's name and `indexeddb` as the default backend, plus the device's own.
 */
export interface OpenDeviceOptions extends Omit<StoreOpenOptions, 'name' | 'backend'> {
  userId: string;
  deviceId: string;
  /** The store's name. */
  store: string;
  /** 'indexeddb' (default; fake-indexeddb works in Node), 'fs' (Node, with `path`) or 'memory' (lost when the instance restarts). */
  backend?: 'indexeddb' | 'memory' | 'fs';
  /** How long a replaced fallback key still decrypts (default 30 days, MSC4081); as for olm accounts. */
  fallbackRetentionMs?: number;
}

/** Matrix JSON, as parsed. */
export type JsonObject = { [key: string]: unknown };

export interface DeviceRef {
  userId: string;
  deviceId: string;
}

export interface OutboundSessionsResult {
  sessions: { userId: string; deviceId: string; sessionId: string; fallback: boolean }[];
  /** Devices of the /keys/query answer that were checked and remembered. */
  devices: number;
  failures: { userId: string; deviceId: string; code: MxCryptoErrorCode; message: string }[];
}

export interface DecryptedToDeviceEvent {
  type: string;
  content: JsonObject;
  sender: string;
  senderDevice: string;
  /** Curve25519 key the Olm session proves. */
  senderKey: Base64;
  /** The payload's claimed Ed25519 key. */
  senderEd25519: Base64;
  /** The sender keys are those of a device of `sender` from a /keys/query answer. */
  verified: boolean;
}

export interface EncryptedRoomEvent {
  /** m.room.encrypted content. */
  content: JsonObject;
  /** When a session was started: the m.room_key content to send (encryptToDevice) to every device in the room first. */
  roomKey: JsonObject | null;
  sessionId: string;
}

export interface DecryptedRoomEvent {
  type: string;
  content: JsonObject;
  senderKey: Base64;
  senderEd25519: Base64;
  sessionId: string;
  messageIndex: number;
  /** The key came forwarded, from a backup or a file: sender keys are claims. */
  imported: boolean;
}

export type RoomKeySource =
  | { kind: 'm.room_key' | 'm.forwarded_room_key'; senderKey: Base64; senderEd25519: Base64 }
  | { kind: 'backup'; roomId: string; sessionId: string };

export interface BackupBatch {
  version: string;
  count: number;
  /** Body for PUT /room_keys/keys?version=. */
  body: RoomKeysBody;
  batchId: number;
}

export interface ImportResult {
  total: number;
  imported: number;
  skipped: number;
  failures: { [code: string]: number };
}

export interface Device {
  readonly userId: string;
  readonly deviceId: string;
  readonly identityKeys: { curve25519: Base64; ed25519: Base64 };
  /** The POST /keys/upload body, or null when nothing is needed. unusedFallbackKeyTypes: null when /sync lacks the field. */
  keysForUpload(sync?: { oneTimeKeyCounts?: { [algorithm: string]: number } | null; unusedFallbackKeyTypes?: string[] | null }): Promise<JsonObject | null>;
  markKeysUploaded(response?: JsonObject | null): Promise<void>;
  createOutboundSessions(keysQueryResponse: JsonObject, keysClaimResponse?: JsonObject | null): Promise<OutboundSessionsResult>;
  encryptToDevice(device: DeviceRef, type: string, content: JsonObject): Promise<JsonObject>;
  /** REPLAYED_MESSAGE for a pre-key message seen before. */
  decryptToDevice(event: JsonObject): Promise<DecryptedToDeviceEvent>;
  encryptRoomEvent(roomId: string, type: string, content: JsonObject, rotation?: { rotationPeriodMs?: number; rotationPeriodMsgs?: number }): Promise<EncryptedRoomEvent>;
  /** event: the whole event (event_id, content). UNKNOWN_SESSION, REPLAYED_MESSAGE. */
  decryptRoomEvent(roomId: string, event: JsonObject): Promise<DecryptedRoomEvent>;
  /** Keeps the better ratchet and the stronger provenance of two copies; ROOM_KEY_CONFLICT when the copies disagree. */
  importRoomKey(content: JsonObject, source: RoomKeySource): Promise<'imported' | 'skipped'>;
  /** m.forwarded_room_key content, to answer a key request from an own verified device. */
  forwardRoomKey(roomId: string, sessionId: string): Promise<JsonObject>;
  roomKeyContent(roomId: string): Promise<JsonObject | null>;
  discardRoomSession(roomId: string): Promise<void>;
  /** body: POST /room_keys/version; auth_data signed by this device. */
  createBackupVersion(): Promise<{ body: JsonObject; privateKey: Uint8Array; publicKey: Base64; recoveryKey: string }>;
  verifyBackupAuthData(versionInfo: JsonObject, trustedDeviceKeys?: JsonObject | null): Promise<{ trusted: boolean; signedBy: string[]; keyMatches: boolean; publicKey: Base64 }>;
  enableBackup(backup: { version: string; publicKey: Base64 }): Promise<void>;
  disableBackup(): Promise<void>;
  nextBackupBatch(maxKeys: number): Promise<BackupBatch | null>;
  markBackedUp(batch: BackupBatch): Promise<void>;
  roomKeyCounts(): Promise<{ total: number; backedUp: number }>;
  /** The fallback keys this device holds: the current one first, then the replaced ones it still keeps (for a device panel). */
  fallbackKeyStatus(): Promise<DeviceFallbackKeyStatus[]>;
  /** WRONG_KEY when the key does not match the enabled backup. */
  restoreBackup(key: Uint8Array | string, roomKeys: RoomKeysBody, options?: { onProgress?: (stage: 'decrypt' | 'store', done: number, total: number) => void; /** As backup.decryptMany's. */ workers?: number }): Promise<ImportResult>;
  /** Account-data content for type `name`. */
  storeSecret(name: string, secret: string, keyId: string, key: Uint8Array): Promise<JsonObject>;
  getSecret(name: string, accountData: JsonObject, key: Uint8Array, keyId?: string | null): Promise<string>;
  requestSecret(name: string): Promise<{ requestId: string; content: JsonObject }>;
  cancelSecretRequest(requestId: string): Promise<JsonObject>;
  /** Olm-encrypted m.secret.send content, or null when the request must not be answered. */
  answerSecretRequest(requestEvent: JsonObject, options: { deviceIsVerified: boolean }): Promise<JsonObject | null>;
  receiveSecret(event: DecryptedToDeviceEvent, options: { senderIsVerified: boolean }): Promise<{ name: string; secret: string }>;
  exportRoomKeys(passphrase: string, options?: { iterations?: number }): Promise<string>;
  importRoomKeys(text: string, passphrase: string, options?: { onProgress?: (stage: 'decrypt' | 'store', done: number, total: number) => void }): Promise<ImportResult>;
  close(): Promise<void>;
}

// --- key store ---------------------------------------------------------------

export interface StoreOpenOptions {
  /** The store's name: a directory in the backend ("a/b" allowed, no "..", no leading "/"). */
  name: string;
  /** memory: lives in the wasm instance; indexeddb: browsers (or a polyfill); fs: Node, files under `path`. */
  backend: 'memory' | 'indexeddb' | 'fs';
  /** fs only: the directory holding the store (relative paths resolve against the working directory); the store's high-water mark is the file .mxmark-<name> beside it. */
  path?: string;
  /** indexeddb only: the database name. Default "mxcrypto". */
  dbName?: string;
  /** @deprecated the old name of `dbName`. */
  database?: string;
  /** A 32-byte store key, or… */
  storeKey?: Uint8Array;
  /** …a passphrase (PBKDF2-SHA-512; the salt is kept in the store). */
  passphrase?: string;
  /** PBKDF2 iterations for a new passphrase store; default 500,000. */
  iterations?: number;
  /**
   * Open a store older than the newest state this origin committed (else
   * STORE_ROLLED_BACK), or whose newest manifest or high-water mark is
   * damaged (else STORE_CORRUPT). The records are yours: anything you keep
   * in them that must not go back (ratchets) is yours to repair. Default false.
   */
  allowRollback?: boolean;
}

/** Kinds of record, and the ids each takes: none, one or two. */
export type StoreRecordKind =
  | 'account' // no id
  | 'backup' // no id
  | 'olmSession' // [peer Curve25519 key, session id]
  | 'outbound' // [room id]
  | 'fallbackKey' // [key id]
  | 'secret' // [name]
  | 'value'; // [name]

/** A record's ids: [], [id], [id, id2], or one id as a string. */
export type StoreIds = string | [] | [string] | [string, string];

export interface StoredInboundSession {
  roomId: string;
  sessionId: string;
  /** Default 0. Kept beside the state, to pick the better of two copies without decoding. */
  firstKnownIndex?: number;
  state: Uint8Array;
  /** In the active backup version already (e.g. restored from it). Default false: pending. */
  backedUp?: boolean;
}

/**
 * An open key store. Every method commits before it resolves; several Store
 * objects (or tabs, through navigator.locks) may share one store. If the wasm
 * instance restarts, the next call reopens the store. Rejections: CLOSED,
 * STORE_FAILURE, STORE_VERSION, WRONG_KEY (open), STORE_CORRUPT (damaged store),
 * STORE_ROLLED_BACK (open: an older copy; see allowRollback),
 * BAD_INPUT, INSTANCE_EXITED (the call may or may not have committed).
 */
export declare class Store {
  private constructor();
  readonly name: string;
  readonly backend: 'memory' | 'indexeddb' | 'fs';
  /** The value, or null when there is none. */
  get(kind: StoreRecordKind, ids?: StoreIds): Promise<Uint8Array | null>;
  put(kind: StoreRecordKind, ids: StoreIds, value: Uint8Array): Promise<void>;
  delete(kind: StoreRecordKind, ids?: StoreIds): Promise<void>;
  /** Several puts and deletes (value null or absent) in one commit: all or none happen. */
  write(writes: { kind: StoreRecordKind; ids?: StoreIds; value?: Uint8Array | null }[]): Promise<void>;
  /** Records whose first id is `firstId`, sorted by second id. */
  list(kind: StoreRecordKind, firstId?: string): Promise<{ ids: string[]; value: Uint8Array }[]>;
  /** Inbound Megolm sessions, any number in one commit. */
  putInbound(sessions: StoredInboundSession[]): Promise<void>;
  getInbound(roomId: string, sessionId: string): Promise<Required<StoredInboundSession> | null>;
  /** Kept in the manifest: no scan. `backedUp` counts `backupVersion` (default: the active one). */
  counts(backupVersion?: string): Promise<{ total: number; backedUp: number; backupVersion: string }>;
  /** Up to `limit` (default 100) sessions not in the active backup; O(limit). */
  pendingBackup(limit?: number): Promise<Required<StoredInboundSession>[]>;
  /** A version that is no longer the active one changes nothing. */
  markBackedUp(backupVersion: string, sessions: { roomId: string; sessionId: string }[]): Promise<void>;
  /** A new version makes every session pending again. */
  setBackupVersion(backupVersion: string): Promise<void>;
  /** The number of commits the store has had. */
  generation(): Promise<number>;
  close(): Promise<void>;
}

// --- Machine API -------------------------------------------------------------
//
// A sans-IO state machine over a device and its store: it decides what to
// send (outgoingRequests) and digests what arrives (receiveSyncChanges,
// markRequestAsSent). It does no HTTP; a driver (mx.connect, or your own)
// sends the requests and feeds back the answers. Everything a request
// depends on is committed before the request is returned.

export interface OpenMachineOptions extends OpenDeviceOptions {}

/** What one /sync response brought for encryption. */
export interface SyncChanges {
  /** `to_device.events` as received (encrypted or not). */
  toDeviceEvents?: JsonObject[];
  /** `device_lists`. */
  changedDevices?: { changed?: string[]; left?: string[] };
  /** `device_one_time_keys_count`. */
  oneTimeKeyCounts?: { [algorithm: string]: number } | null;
  /** `device_unused_fallback_key_types`; null when /sync lacks the field. */
  unusedFallbackKeyTypes?: string[] | null;
  /** `next_batch`: stored as the sync token once everything above is processed. */
  nextBatch?: string | null;
}

/** A to-device event that could not be decrypted or handled (the others are DecryptedToDeviceEvent). */
export interface ToDeviceFailure {
  failure: true;
  code: MxCryptoErrorCode;
  message: string;
  /** The event as received (null for an event decrypted before a crash and handled after it). */
  event: JsonObject | null;
}

/** Plain (unencrypted) to-device events are passed through with `encrypted: false`. */
export type MachineToDeviceEvent =
  | (DecryptedToDeviceEvent & { encrypted: true })
  | { type: string; content: JsonObject; sender: string; encrypted: false }
  | ToDeviceFailure;

/** Things the driver may want to act on (retry a decryption, show a warning). */
export type MachineEvent =
  /** A room key was stored (m.room_key, m.forwarded_room_key, or fetched from the backup): retry events of this session. */
  | { type: 'roomKeyReceived'; roomId: string; sessionId: string; source: 'm.room_key' | 'm.forwarded_room_key' | 'backup' }
  /** The sender will not give us this key (m.room_key.withheld). */
  | { type: 'roomKeyWithheld'; roomId: string; sessionId: string; code: string; reason: string; sender: string }
  /**
   * The server's backup version is not the enabled one (M_WRONG_ROOM_KEYS_VERSION, or M_NOT_FOUND): uploads
   * stopped, backup disabled. currentVersion is what the server said (Synapse 1.163 puts the requested version
   * there): GET /room_keys/version for the real one, check it, then enableBackup again.
   */
  | { type: 'backupVersionMismatch'; version: string; currentVersion: string | null; errcode: string }
  /** A secret arrived by m.secret.send from a trusted own device (the backup key is also enabled for on-demand fetches). */
  | { type: 'secretReceived'; name: string; secret: string }
  /** A /keys/query answer tried to change the keys of a known device, or carried a bad signature: the device keeps its old keys / is ignored. */
  | { type: 'deviceRefused'; userId: string; deviceId: string; code: MxCryptoErrorCode; message: string }
  /** The device list of a tracked user changed (after a /keys/query). */
  | { type: 'devicesChanged'; userId: string; added: string[]; removed: string[] }
  /** A user's published master key is not the pinned one (first seen, or accepted with pinIdentity): "identity changed". */
  | { type: 'identityChanged'; userId: string; masterKey: Base64; pinnedMasterKey: Base64; wasVerified: boolean }
  /** Our new cross-signing keys were published (bootstrapCrossSigning's request marked sent). */
  | { type: 'crossSigningChanged'; masterKey: Base64 }
  /** The server refused (some of) a signatures upload: status, and the answer (or its failures) as JSON text. */
  | { type: 'signatureUploadFailed'; status: number; body: string };

export interface SyncChangesResult {
  toDeviceEvents: MachineToDeviceEvent[];
  events: MachineEvent[];
}

export type OutgoingRequestType =
  | 'keys_upload' // POST /_matrix/client/v3/keys/upload
  | 'keys_query' // POST /_matrix/client/v3/keys/query
  | 'keys_claim' // POST /_matrix/client/v3/keys/claim
  | 'to_device' // PUT /_matrix/client/v3/sendToDevice/{type}/{txnId} (txnId = id: safe to resend)
  | 'backup_upload' // PUT /_matrix/client/v3/room_keys/keys?version=V
  | 'backup_get' // GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}?version=V
  | 'signatures_upload' // POST /_matrix/client/v3/keys/signatures/upload
  | 'signing_keys_upload'; // POST /_matrix/client/v3/keys/device_signing/upload: only from bootstrapCrossSigning (add `auth`)

/**
 * A request to send. `path` is absolute from the homeserver's base URL
 * (starts with /_matrix/client/v3/, components already URL-encoded, query
 * string included). The same request is listed with the same id until it is
 * marked as sent; send each id once at a time.
 */
export interface OutgoingRequest {
  id: string;
  type: OutgoingRequestType;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body: JsonObject | null;
}

export type DeviceTrust = 'trusted' | 'unverified' | 'blacklisted';

export interface MachineDevice {
  userId: string;
  deviceId: string;
  keys: { curve25519: Base64; ed25519: Base64 };
  displayName: string | null;
  /**
   * Computed: 'trusted' when signed by its owner's self-signing key and the owner is verified (our own
   * identity whose keys we hold, or a user whose master key our user-signing key signed); a decision made
   * with setDeviceTrust overrides it; own device: 'trusted'.
   */
  trust: DeviceTrust;
  /** Signed by its owner's self-signing key (whether or not the owner is verified). */
  crossSigned: boolean;
}

/** Our own cross-signing, as Machine.crossSigningStatus reports it. */
export interface CrossSigningStatus {
  /** Our user has a master key on the server (as last queried). */
  published: boolean;
  masterKey: Base64 | null;
  /** The published master key is the one we trust (its private key held here, or checked). */
  trusted: boolean;
  hasMaster: boolean;
  hasSelfSigning: boolean;
  hasUserSigning: boolean;
}

/** What is known of a user's cross-signing identity. */
export interface UserIdentity {
  userId: string;
  masterKey: Base64 | null;
  /** Our own: trusted master key; another user: their master key signed by our user-signing key. */
  verified: boolean;
  /** The first master key seen (trust on first use), or the last accepted with pinIdentity. */
  pinnedMasterKey: Base64 | null;
  /** The published master key is not the pinned one. */
  identityChanged: boolean;
  wasVerified: boolean;
}

/** Whether a backup version can be trusted (Machine.verifyBackup). */
export interface BackupTrustInfo {
  /** signedByMaster, or signedByDevices not empty, or keyMatches. */
  trusted: boolean;
  /** A valid signature by our trusted master key. */
  signedByMaster: boolean;
  /** Our trusted devices (this one included) with a valid signature. */
  signedByDevices: string[];
  /** The backup private key held here matches auth_data.public_key. */
  keyMatches: boolean;
  version: string | null;
  publicKey: Base64;
}

export interface ShareRoomKeySettings {
  rotationPeriodMs?: number;
  rotationPeriodMsgs?: number;
  /** Withhold the key (m.unverified) from devices not marked 'trusted'. Blacklisted devices always get m.blacklisted. */
  onlyTrustedDevices?: boolean;
}

export interface MachineDecryptedRoomEvent extends DecryptedRoomEvent {
  sender: string;
  /** The device of `sender` that owns the Curve25519 key that sent the room key; null when the sender's devices are not known yet (a /keys/query is queued). */
  senderDevice: MachineDevice | null;
  /** m.forwarded_room_key or backup: the keys are what the forwarder claimed. */
  forwarded: boolean;
}

export interface Machine {
  readonly userId: string;
  readonly deviceId: string;
  readonly identityKeys: { curve25519: Base64; ed25519: Base64 };
  /** Feed one /sync response; processes everything, then stores nextBatch. */
  receiveSyncChanges(changes: SyncChanges): Promise<SyncChangesResult>;
  /** All requests waiting to be sent (keys upload, queries, claims, to-device, backup). */
  outgoingRequests(): Promise<OutgoingRequest[]>;
  /**
   * The answer to a request. `status` defaults to 200; with status ≥ 400 the
   * body is the Matrix error (e.g. M_WRONG_ROOM_KEYS_VERSION) and the request
   * is dropped (retry 429/5xx yourself before giving up). An unknown id is ignored.
   */
  markRequestAsSent(id: string, type: OutgoingRequestType, responseBody: JsonObject | null, options?: { status?: number }): Promise<{ events: MachineEvent[] }>;
  /** Users sharing an encrypted room with us; new ones get a /keys/query. */
  updateTrackedUsers(userIds: string[]): Promise<void>;
  trackedUsers(): Promise<string[]>;
  /** Known devices of a user (from /keys/query, signatures checked). */
  getUserDevices(userId: string): Promise<MachineDevice[]>;
  /** Local trust decision (cross-signing will compute it later). */
  setDeviceTrust(userId: string, deviceId: string, trust: DeviceTrust): Promise<void>;
  /**
   * The requests to send before encryptRoomEvent in this room: keys_query for
   * untracked/outdated users, keys_claim for devices without an Olm session,
   * then to_device m.room_key / m.room_key.withheld. They are also listed by
   * outgoingRequests(). Call again after they are marked sent, until it
   * returns []. Rotates the room key when a device left or the settings' period passed.
   */
  shareRoomKey(roomId: string, userIds: string[], settings?: ShareRoomKeySettings): Promise<OutgoingRequest[]>;
  /** m.room.encrypted content. ROOM_KEY_NOT_SHARED: call shareRoomKey (again) first. */
  encryptRoomEvent(roomId: string, type: string, content: JsonObject): Promise<JsonObject>;
  /**
   * Rejects with UNKNOWN_SESSION (a key request and, with a backup key, a
   * backup_get are queued), UNKNOWN_MESSAGE_INDEX, WITHHELD (error.withheldCode:
   * the sender's code, e.g. 'm.unverified'), REPLAYED_MESSAGE, MISMATCHED_SENDER.
   */
  decryptRoomEvent(roomId: string, event: JsonObject): Promise<MachineDecryptedRoomEvent>;
  /**
   * A timeline of one room: every event decrypted under one store lock, the
   * replay records of all of them in one commit. One entry per event, in
   * order: the decrypted event, or { error } with the MxCryptoError
   * decryptRoomEvent would have thrown for it after the events before it.
   * Rejects only when the call fails as a whole (bad arguments, the store).
   */
  decryptRoomEvents(roomId: string, events: JsonObject[]): Promise<Array<MachineDecryptedRoomEvent | { error: MxCryptoError }>>;
  /** The stored sync token (next_batch of the last fully processed /sync), or null. */
  syncToken(): Promise<string | null>;
  setSyncToken(token: string | null): Promise<void>;
  /** body for POST /room_keys/version (auth_data signed by this device and, when held, our master key); the private key is kept. */
  createBackupVersion(): Promise<{ body: JsonObject; privateKey: Uint8Array; publicKey: Base64; recoveryKey: string }>;
  /**
   * Start uploading to this version. With the private key (or recovery key; WRONG_KEY if it does not match
   * publicKey), or when the device already holds the m.megolm_backup.v1 secret for it (device.getSecret,
   * a secretReceived), missing keys are also fetched from it on demand.
   */
  enableBackup(backup: { version: string; publicKey: Base64; privateKey?: Uint8Array | string | null }): Promise<void>;
  /** The server's version (GET /room_keys/version answer), enabled only when trusted (verifyBackup); UNTRUSTED_BACKUP otherwise. */
  enableBackup(backup: { versionInfo: JsonObject; privateKey?: Uint8Array | null }): Promise<BackupTrustInfo>;
  /** A backup version body { algorithm, auth_data } with this device's and (when held) our master key's signatures added. */
  signBackupVersion(body: JsonObject): Promise<JsonObject>;
  /** Trust of a backup version (the GET /room_keys/version answer). */
  verifyBackup(versionInfo: JsonObject): Promise<BackupTrustInfo>;
  /**
   * New cross-signing keys: the signing_keys_upload request to send yourself (add `auth` for
   * user-interactive auth), then markRequestAsSent with the answer. On success they become current,
   * this device and the master key sign each other (a signatures_upload is queued).
   */
  bootstrapCrossSigning(): Promise<OutgoingRequest>;
  /** Takes the cross-signing keys held here as local secrets (e.g. from m.secret.send) into use, checked against the published ones (WRONG_KEY, NO_CROSS_SIGNING); signs this device. */
  importCrossSigningKeys(): Promise<CrossSigningStatus>;
  /** Decrypts m.cross_signing.* (account data type → content) with the secret-storage key, checks and imports them (BAD_MAC: wrong key, nothing kept). */
  restoreCrossSigning(accountData: Record<string, JsonObject>, key: Uint8Array, keyId: string): Promise<CrossSigningStatus>;
  /** The held cross-signing keys encrypted for secret storage: account data type → content to PUT. */
  crossSigningSecretsForStorage(keyId: string, key: Uint8Array): Promise<Record<string, JsonObject>>;
  crossSigningStatus(): Promise<CrossSigningStatus>;
  userIdentity(userId: string): Promise<UserIdentity>;
  /** Accept a user's changed master key (after showing the change). */
  pinIdentity(userId: string): Promise<void>;
  /** Verify another user: their master key signed with our user-signing key (a signatures_upload is queued). NO_CROSS_SIGNING without our key or theirs. */
  verifyUser(userId: string): Promise<void>;
  disableBackup(): Promise<void>;
  /** As Device.restoreBackup. */
  restoreBackup(key: Uint8Array | string, roomKeys: RoomKeysBody, options?: { onProgress?: (stage: 'decrypt' | 'store', done: number, total: number) => void; workers?: number }): Promise<ImportResult>;
  /** Ask own devices for a secret (m.secret.request to_device requests queued); the answer arrives as a secretReceived event. */
  requestSecret(name: string): Promise<void>;
  /** The device under the machine (secret storage, export, …) on the same store. */
  readonly device: Device;
  close(): Promise<void>;
}

// --- connect (the HTTP driver) -------------------------------------------------
//
// mx.connect runs the machine against a homeserver with fetch: the /sync loop,
// the outgoing requests, retries. The sync token advances only after a whole
// /sync response was processed and its events emitted.

export interface ConnectOptions {
  /** e.g. 'https://matrix.example.org' (the client API base, no trailing path). */
  homeserverUrl: string;
  /** An existing login (its device id is read from /account/whoami)… */
  accessToken?: string;
  /** …or a password login (m.login.password). */
  user?: string;
  password?: string;
  /** With a password login: reuse this device (keep it with the store), else the server makes a new one. */
  deviceId?: string;
  deviceDisplayName?: string;
  /** The key store's name, and its key (a 32-byte storeKey or a passphrase), as for openMachine. */
  store: string;
  backend?: OpenDeviceOptions['backend'];
  dbName?: string;
  storeKey?: Uint8Array;
  passphrase?: string;
  /** Long-poll timeout of /sync (default 30,000 ms). */
  syncTimeoutMs?: number;
  /** Start the /sync loop now (default true); with false call client.sync() or client.start(). */
  start?: boolean;
  /**
   * Retries: 429 waits retry_after_ms; 5xx and network errors back off
   * exponentially (with jitter) from baseDelayMs (500) to maxDelayMs (30,000),
   * maxAttempts (8) per request. The sync loop itself never gives up (except on 401).
   */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Room key rotation for rooms this client creates, and an override when sending. */
  roomKeySettings?: ShareRoomKeySettings;
  /** Another fetch (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** A room event as the client delivers it. */
export interface ClientRoomEvent {
  roomId: string;
  eventId: string;
  sender: string;
  /** The decrypted type (or m.room.encrypted when `error` is set). */
  type: string;
  content: JsonObject;
  encrypted: boolean;
  /** Decrypted events: the sender's device owning the key that sent the room key (null: not known yet). */
  senderDevice?: MachineDevice | null;
  forwarded?: boolean;
  /** Not decrypted: the machine's code (UNKNOWN_SESSION, UNKNOWN_MESSAGE_INDEX, WITHHELD, REPLAYED_MESSAGE, MISMATCHED_SENDER). */
  error?: { code: MxCryptoErrorCode; message: string; withheldCode?: string; withheldReason?: string };
  /** Delivered again after its room key arrived (it came first with `error`). */
  retried?: boolean;
  /** The event as the server sent it. */
  raw: JsonObject;
}

export interface ClientEvents {
  event: ClientRoomEvent;
  invite: { roomId: string; inviter?: string };
  leave: { roomId: string };
  toDevice: MachineToDeviceEvent;
  /** Every MachineEvent, also emitted under its own type name ('roomKeyWithheld', 'backupVersionMismatch', …). */
  crypto: MachineEvent;
  sync: { nextBatch: string };
  retry: { method: string; path: string; status: number; attempt: number; delayMs: number };
  /** The sync loop failed (it keeps going, except after a 401). */
  error: MxCryptoError;
  close: void;
}

export interface Client {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly identityKeys: { curve25519: Base64; ed25519: Base64 };
  /** The machine under the client (trust, devices, …). */
  readonly machine: Machine;
  /** Joined rooms seen in /sync. */
  readonly rooms: Map<string, { roomId: string; encrypted: boolean; members: string[] }>;
  on<K extends keyof ClientEvents>(name: K, handler: (value: ClientEvents[K]) => void): () => void;
  on(name: MachineEvent['type'], handler: (value: MachineEvent) => void): () => void;
  off(name: string, handler: (value: unknown) => void): void;
  /** Room events from now on; ends when the client closes. */
  events(filter?: (event: ClientRoomEvent) => boolean): AsyncIterableIterator<ClientRoomEvent>;
  createEncryptedRoom(options?: { invite?: string[]; name?: string; preset?: 'private_chat' | 'trusted_private_chat' | 'public_chat' }): Promise<string>;
  invite(roomId: string, userId: string): Promise<void>;
  /** Resolves to the room id. */
  join(roomIdOrAlias: string): Promise<string>;
  leave(roomId: string): Promise<void>;
  /** Encrypted when the room is (the room key goes to members' devices first). Resolves to the event id. */
  sendMessage(roomId: string, content: JsonObject, options?: { type?: string; txnId?: string }): Promise<string>;
  /** One /sync round now (serialised with the loop's). */
  sync(options?: { timeoutMs?: number }): Promise<JsonObject>;
  nextSync(timeoutMs?: number): Promise<JsonObject>;
  /** The first room event from now on that matches (HOMESERVER_ERROR after timeoutMs, default 60 s). */
  waitForEvent(match: (event: ClientRoomEvent) => boolean, timeoutMs?: number): Promise<ClientRoomEvent>;
  /** Send the machine's queued requests now. */
  flush(): Promise<void>;
  setDeviceTrust(userId: string, deviceId: string, trust: DeviceTrust): Promise<void>;
  getUserDevices(userId: string): Promise<MachineDevice[]>;
  /** The homeserver API with this client's token and retries (path from the base URL). */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: JsonObject | null, options?: { timeoutMs?: number }): Promise<JsonObject>;
  backup: {
    /**
     * New backup version (auth_data signed by this device), uploads enabled, its key stored in
     * secret storage (m.megolm_backup.v1) under a new default key from the passphrase (or random).
     * recoveryKey: the secret storage key's; backupRecoveryKey: the backup key's own.
     */
    enable(options?: { passphrase?: string; secretStorageKey?: string | Uint8Array }): Promise<{ version: string; recoveryKey?: string; backupRecoveryKey: string; keyId: string }>;
    /** The server's current version and whether we trust it. */
    trust(): Promise<BackupTrustInfo>;
    /** Upload to the server's current version if it is trusted (UNTRUSTED_BACKUP otherwise). */
    useServerVersion(): Promise<BackupTrustInfo>;
    /** Restore the server's current version with a recovery key (secret storage or backup key) or the passphrase, and enable it. */
    restore(recoveryKeyOrPassphrase: string | Uint8Array, options?: { onProgress?: (stage: 'decrypt' | 'store', done: number, total: number) => void }): Promise<ImportResult & { version: string }>;
    /** Ask own devices for the backup key (m.secret.request); arrives as 'secretReceived'. */
    requestKeyFromOwnDevices(): Promise<void>;
    /** Send pending backup uploads now. */
    flush(): Promise<void>;
    disable(): Promise<void>;
  };
  crossSigning: {
    /**
     * New cross-signing keys published (auth: user-interactive auth, an object or a function of the 401
     * answer), this device signed, the private keys put in secret storage: under the default key when
     * secretStorageKey (its recovery key or passphrase) is given, else under a new default key (passphrase or random).
     * The server's current backup, when trusted, is signed by the new master key too.
     */
    bootstrap(options?: { auth?: JsonObject | ((uia: JsonObject) => JsonObject | Promise<JsonObject>); passphrase?: string; secretStorageKey?: string | Uint8Array }): Promise<CrossSigningStatus & { keyId: string; recoveryKey?: string }>;
    /** The keys from secret storage (recovery key or passphrase; WRONG_KEY), checked, this device signed. */
    restore(recoveryKeyOrPassphrase: string | Uint8Array): Promise<CrossSigningStatus>;
    /** The keys from our other trusted devices (m.secret.request / m.secret.send), checked, this device signed. */
    requestFromOwnDevices(options?: { timeoutMs?: number }): Promise<CrossSigningStatus>;
    /** Sign the user's master key with our user-signing key, and publish it. */
    verifyUser(userId: string): Promise<void>;
    status(): Promise<CrossSigningStatus>;
    userIdentity(userId: string): Promise<UserIdentity>;
    pinIdentity(userId: string): Promise<void>;
  };
  /** Start the /sync loop (when connect had start: false); resolves when the loop stops (close(), or a 401). */
  start(): Promise<void>;
  /** Stop syncing, abort requests in flight, close the machine. */
  close(): Promise<void>;
}
