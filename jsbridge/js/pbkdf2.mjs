// PBKDF2-HMAC-SHA-512 with WebCrypto: native code, and asynchronous, so
// the JS thread keeps running meanwhile (Node runs it on its thread pool).
// Go's PBKDF2 under wasm is several times slower and runs on the JS thread,
// so a key description or key file asking for millions of rounds would
// freeze the page. Go stays the fallback and the reference.

import { utf8Encoder as utf8 } from './env.mjs';

/**
 * bits of PBKDF2-HMAC-SHA-512(passphrase, salt, iterations) as a
 * Uint8Array, or null when the host cannot (no WebCrypto, no SHA-512, a cap
 * on rounds): the caller then lets Go derive it. salt: a string (UTF-8, as
 * m.pbkdf2 key descriptions store it) or bytes (key export files).
 */
export async function webCryptoPBKDF2(subtle, passphrase, salt, iterations, bits) {
  if (!subtle) return null;
  const secret = utf8.encode(passphrase);
  try {
    const base = await subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    const saltBytes = typeof salt === 'string' ? utf8.encode(salt) : salt;
    return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: saltBytes, iterations }, base, bits));
  } catch {
    return null;
  } finally {
    secret.fill(0);
  }
}
