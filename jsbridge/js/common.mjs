// Small pieces the loader's modules share.
import { NodeBuffer, utf8Encoder } from './env.mjs';

/** Error codes raised by the loader itself (the Go side raises the rest). */
export const LOADER_CODES = { BAD_INPUT: 'BAD_INPUT', INSTANCE_EXITED: 'INSTANCE_EXITED', NOT_LOADED: 'NOT_LOADED' };

/** An Error with a stable `code`, like the ones the Go side raises. */
export function mxError(code, message, cause) {
  const e = new Error(message, cause ? { cause } : undefined);
  e.name = 'MxCryptoError';
  e.code = code;
  return e;
}

/**
 * A queue that runs the functions given to it one after another (each may be
 * async); a failure does not stop the ones after it.
 */
export function serialize() {
  let tail = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}

/**
 * An options argument: undefined and null mean none; anything but an object
 * is BAD_INPUT. (Arguments reaching here are already plain copies.)
 */
export function optionsArg(options, name) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options) || options instanceof Uint8Array) {
    throw mxError('BAD_INPUT', `${name}: options must be an object`);
  }
  return options;
}

/** libolm pickle keys are byte strings; its JS API takes them as strings. */
export function pickleKeyBytes(key) {
  if (typeof key === 'string') return utf8Encoder.encode(key);
  return key;
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/**
 * Base64 (padded or not) of PUBLIC data (ciphertexts, public keys, MACs) →
 * bytes, or null if malformed. atob uses a table: never use it on secrets;
 * those cross to Go as bytes.
 */
export function decodeBase64(s) {
  if (!B64_RE.test(s) || s.length % 4 === 1) return null;
  if (NodeBuffer) {
    const b = NodeBuffer.from(s, 'base64'); // lenient, but the pattern above already held
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  let bin;
  try {
    bin = atob(s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4)));
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
