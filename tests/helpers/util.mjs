// Assertion helpers and a few reference primitives built on node:crypto,
// used to craft inputs (malformed messages, signatures) independently of
// the module under test and of the peer libraries.
import assert from 'node:assert/strict';
import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
} from 'node:crypto';
import { b64, unb64 } from './random.mjs';

export const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** A string with everything outside printable ASCII shown as \u{…}, for messages. */
export const escapeText = (s) =>
  typeof s === 'string' ? `"${s.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`)}"` : String(s);

/** Strict string equality with a readable message for invisible characters. */
export function assertSameText(actual, expected, label = 'text') {
  assert.ok(actual === expected, `${label}: got ${escapeText(actual)}, expected ${escapeText(expected)}`);
}

/** actual must be a Uint8Array with exactly the expected bytes. */
export function assertBytes(actual, expected, message = 'bytes differ') {
  assert.ok(actual instanceof Uint8Array, `${message}: expected a Uint8Array, got ${Object.prototype.toString.call(actual)}`);
  assert.equal(hex(actual), hex(expected), message);
}

/** Unpadded standard base64, optionally of a given decoded length. */
export function assertUnpaddedB64(text, nBytes, label = 'value') {
  assert.equal(typeof text, 'string', `${label} must be a string`);
  assert.match(text, /^[A-Za-z0-9+/]*$/, `${label} must be unpadded standard base64: ${text}`);
  assert.notEqual(text.length % 4, 1, `${label} has an impossible base64 length: ${text}`);
  if (nBytes !== undefined) assert.equal(unb64(text).length, nBytes, `${label} must decode to ${nBytes} bytes`);
}

/**
 * Call fn (a thunk returning the API promise) and require a rejection with
 * an Error whose string `code` is one of `codes`, and whose message is
 * non-empty. A synchronous throw is accepted here (see errors.test.mjs for
 * the test that requires promise rejections).
 */
export async function rejectsWithCode(fn, codes, label = 'call') {
  const allowed = Array.isArray(codes) ? codes : [codes];
  let err;
  let resolved;
  try {
    resolved = await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${label}: expected rejection with code ${allowed.join('|')}, but it resolved to ${safeJson(resolved)}`);
  assert.ok(err instanceof Error, `${label}: rejection value must be an Error, got ${safeJson(err)}`);
  assert.equal(typeof err.code, 'string', `${label}: error must have a string code (message: ${err.message})`);
  assert.ok(allowed.includes(err.code), `${label}: expected code ${allowed.join('|')}, got ${err.code} (${err.message})`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, `${label}: error message must be non-empty`);
  return err;
}

function safeJson(v) {
  try {
    if (v instanceof Uint8Array) return `Uint8Array(${hex(v)})`;
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Flip one bit of the decoded bytes and re-encode (unpadded). */
export function tamperB64(text, index = 0, bit = 0x01) {
  const bytes = unb64(text);
  bytes[index % bytes.length] ^= bit;
  return b64(bytes);
}

// ---------------------------------------------------------------------------
// Canonical JSON (docs/keys.md §1.1), independent of the module under test.
// Keys sorted by Unicode code point (= UTF-8 byte order); JSON.stringify's
// string escaping already matches the canonical grammar for well-formed
// strings (lowercase \u00xx, \b \t \n \f \r, no escaping of / or non-ASCII).

export function referenceCanonicalJSON(value) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new Error(`not a canonical JSON number: ${value}`);
      return String(value === 0 ? 0 : value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(referenceCanonicalJSON).join(',')}]`;
      const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonicalJSON(value[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`cannot encode ${typeof value}`);
  }
}

/** The bytes that get signed for a signed-JSON object (signatures/unsigned stripped). */
export function signingPayload(obj) {
  const { signatures, unsigned, ...rest } = obj;
  return referenceCanonicalJSON(rest);
}

// ---------------------------------------------------------------------------
// Ed25519 / X25519 via node:crypto.

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function rawPublic(keyObject) {
  return new Uint8Array(Buffer.from(keyObject.export({ format: 'jwk' }).x, 'base64url'));
}

/** Ed25519 public key (unpadded b64) for a 32-byte seed. */
export function ed25519PublicFromSeed(seed) {
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return b64(rawPublic(createPublicKey(priv)));
}

/**
 * The m.megolm_backup.v1.curve25519-aes-sha2 / libolm PkEncryption
 * construction (docs/backup.md §3), with knobs to produce malformed messages:
 *   pad: false → no PKCS#7 padding is added (plaintext must then be a
 *        multiple of 16 bytes; used to craft bad padding);
 *   truncate: drop this many bytes from the end of the ciphertext.
 * plaintext: Uint8Array or string (UTF-8).
 */
export function referencePkEncrypt(publicKeyB64, plaintext, { pad = true, truncate = 0 } = {}) {
  const recipient = createPublicKey({
    key: Buffer.concat([X25519_SPKI_PREFIX, unb64(publicKeyB64)]),
    format: 'der',
    type: 'spki',
  });
  const eph = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(32), Buffer.alloc(0), 80));
  const aesKey = okm.subarray(0, 32);
  const macKey = okm.subarray(32, 64);
  const iv = okm.subarray(64, 80);
  let data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : Buffer.from(plaintext);
  if (pad) {
    const n = 16 - (data.length % 16);
    data = Buffer.concat([data, Buffer.alloc(n, n)]);
  }
  const cipher = createCipheriv('aes-256-cbc', aesKey, iv);
  cipher.setAutoPadding(false);
  let ct = Buffer.concat([cipher.update(data), cipher.final()]);
  if (truncate) ct = ct.subarray(0, ct.length - truncate);
  const mac = createHmac('sha256', macKey).update(Buffer.alloc(0)).digest().subarray(0, 8);
  return { ciphertext: b64(ct), ephemeral: b64(rawPublic(eph.publicKey)), mac: b64(mac) };
}

// ---------------------------------------------------------------------------
// Base58 (Bitcoin alphabet) and the Matrix key representation (docs/backup.md §6),
// used to build deliberately malformed recovery keys.

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58Encode(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/**
 * Matrix key representation of `key` with optional damage:
 * prefix (2 bytes), parityDelta (xor into the parity byte), extra bytes
 * appended before the parity byte (the parity stays consistent), and
 * grouping in 4s.
 */
export function buildRecoveryKey(key, { prefix = [0x8b, 0x01], parityDelta = 0, extra = [], spaced = true } = {}) {
  const body = [...prefix, ...key, ...extra];
  let parity = 0;
  for (const b of body) parity ^= b;
  const text = base58Encode(Uint8Array.from([...body, parity ^ parityDelta]));
  return spaced ? text.match(/.{1,4}/g).join(' ') : text;
}
