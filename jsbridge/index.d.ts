// Types for the mxcrypto loader (jsbridge/index.mjs, copied to dist/ by the build).

/**
 * Every rejection is an Error with a stable `code`:
 * - `BAD_INPUT`: wrong argument type, length or shape.
 * - `BAD_BASE64`: a field that must be base64 is not.
 * - `BAD_MAC`: secret storage MAC mismatch (wrong key or secret name, or altered data).
 * - `BAD_RECOVERY_KEY`: not a recovery key (alphabet, length, prefix or parity).
 * - `WRONG_KEY`: the data was encrypted to a different key (backup, curve25519 secret storage).
 * - `BAD_MESSAGE`: decrypted data is malformed (padding, not a JSON object).
 * - `UNSUPPORTED_ALGORITHM`: an algorithm mxcrypto does not implement.
 * - `INSTANCE_EXITED`: the wasm instance stopped during the call; the next call starts a new one.
 * - `NOT_LOADED`: the module could not be loaded.
 * - `INTERNAL`: a bug in mxcrypto (including a recovered panic).
 */
export type MxCryptoErrorCode =
  | 'BAD_INPUT'
  | 'BAD_BASE64'
  | 'BAD_MAC'
  | 'BAD_RECOVERY_KEY'
  | 'WRONG_KEY'
  | 'BAD_MESSAGE'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INSTANCE_EXITED'
  | 'NOT_LOADED'
  | 'INTERNAL';

export interface MxCryptoError extends Error {
  name: 'MxCryptoError';
  code: MxCryptoErrorCode;
}

export interface InitOptions {
  /** The module: a URL, a file path (Node), bytes, a fetch Response or a compiled module. Default: dist/mxcrypto.wasm next to the loader. */
  wasm?: string | URL | Uint8Array | ArrayBuffer | Response | WebAssembly.Module;
  /** false: do everything in Go, never WebCrypto (tests and benchmarks). Default true. */
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

export interface MxCrypto {
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
      options?: { onProgress?: (done: number, total: number) => void },
    ): Promise<DecryptManyResult>;
  };
  /** Matrix canonical JSON (sorted keys, integers only, minimal escaping). */
  canonicalJSON(value: unknown): Promise<string>;
  signing: {
    /** Check `object.signatures[userId][keyId]` (e.g. keyId "ed25519:DEVICE") against an unpadded-base64 Ed25519 key. */
    verify(object: object, userId: string, keyId: string, publicKey: Base64): Promise<boolean>;
  };
  /** Internal: failure injection used by the tests. */
  _debug: {
    panic(): Promise<never>;
    exit(code?: number): Promise<never>;
    sleep(ms: number): Promise<number>;
  };
}

/** Load the module (compiled once, restarted transparently if it ever exits). */
export function init(options?: InitOptions): Promise<MxCrypto>;
