// Recovery keys, passphrases and secret storage keys: the parts done in JS.
// PBKDF2 runs in WebCrypto where there is one (pbkdf2.mjs); Go checks the
// parameters, does the rest, and is the fallback.
import { mxError } from './common.mjs';
import { webCryptoPBKDF2 } from './pbkdf2.mjs';

// PBKDF2-SHA-512 runs natively in WebCrypto, several times faster than Go
// compiled to wasm; Go is the fallback for hosts without it.
export async function deriveKey(rt, passphrase, salt, iterations, bits) {
  if (typeof passphrase !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: passphrase must be a string');
  if (typeof salt !== 'string') throw mxError('BAD_INPUT', 'passphrase.deriveKey: salt must be a string');
  await rt.call('passphrase._checkParams', [iterations, bits]);
  return (await webCryptoPBKDF2(rt.subtle, passphrase, salt, iterations, bits)) ?? rt.call('passphrase._deriveKey', [passphrase, salt, iterations, bits]);
}

export async function createSecretStorageKey(rt, opts) {
  if (opts === null || typeof opts !== 'object') throw mxError('BAD_INPUT', 'secretStorage.createKey: options must be an object');
  const { passphrase, name, iterations } = opts;
  if (name !== undefined && typeof name !== 'string') throw mxError('BAD_INPUT', 'secretStorage.createKey: name must be a string');
  if (passphrase === undefined) return rt.call('secretStorage._createRandomKey', [name]);
  if (typeof passphrase !== 'string' || passphrase === '') throw mxError('BAD_INPUT', 'secretStorage.createKey: passphrase must be a non-empty string');
  const info = await rt.call('secretStorage._newPassphraseInfo', [iterations]);
  const key = await deriveKey(rt, passphrase, info.salt, info.iterations, info.bits);
  return rt.call('secretStorage._describeKey', [key, name, info]);
}
