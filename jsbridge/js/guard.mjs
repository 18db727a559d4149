// The API's front door. Every public function and method is wrapped here, so
// that whatever a caller passes (Proxies, throwing getters, detached or
// lying buffers, BigInts, cycles, absurdly deep values) the call returns a
// Promise that settles with a result or an MxCryptoError with a code, and
// nothing hostile reaches the Go side: syscall/js reads (Get, Index, Length,
// InstanceOf, CopyBytesToGo) do not catch JS exceptions, and one thrown
// through Go ends the whole wasm instance, with everyone's calls in flight.
//
// Arguments are turned into plain copies before anything else reads them:
// objects into plain objects (own enumerable keys), arrays into arrays, Uint8Arrays into
// fresh Uint8Arrays whose length comes from the buffer (read through the
// built-in getters, never the object's own), functions into callbacks that
// cannot throw anything but an MxCryptoError. Every read of the caller's
// value happens inside a try, here, synchronously at call time.
import { mxError } from './common.mjs';

/**
 * Most bytes (string code units, buffer bytes, 8 per value) one argument may
 * carry. A whole GET /room_keys/keys body of 100,000 keys is about 70 MB.
 */
export const MAX_ARGUMENT_SIZE = 256 * 1024 * 1024;

/** Deepest nesting copied; the Go JSON reader accepts 128 levels of content. */
export const MAX_DEPTH = 200;

const NODE_COST = 8;

/** This module's own objects (accounts, sessions, …): arguments passed as they are. */
const ownObjects = new WeakSet();

// The built-in getters: a subclass or an own property cannot lie to them.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name)?.get;
const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const typedArrayOffset = getter(TypedArrayPrototype, 'byteOffset');
const typedArrayLength = getter(TypedArrayPrototype, 'byteLength');
const bufferDetached = getter(ArrayBuffer.prototype, 'detached');
const isView = ArrayBuffer.isView;
const isArray = Array.isArray;
const objectKeys = Object.keys;

class Budget {
  constructor(what) {
    this.what = what;
    this.left = MAX_ARGUMENT_SIZE;
  }

  spend(n) {
    this.left -= n;
    if (this.left < 0) throw mxError('BAD_INPUT', `${this.what} is larger than ${MAX_ARGUMENT_SIZE} bytes`);
  }
}

/** A copy of a Uint8Array's bytes, its length read from its buffer. */
function copyBytes(v, what, budget) {
  if (typedArrayTag.call(v) !== 'Uint8Array') throw mxError('BAD_INPUT', `${what} must be a Uint8Array, got a ${typedArrayTag.call(v) ?? 'DataView'}`);
  const buffer = typedArrayBuffer.call(v);
  // ArrayBuffer.prototype.detached is recent; where it is missing, a detached buffer reads as length 0.
  if (bufferDetached && buffer instanceof ArrayBuffer && bufferDetached.call(buffer)) {
    throw mxError('BAD_INPUT', `${what} is a Uint8Array over a detached ArrayBuffer`);
  }
  const offset = typedArrayOffset.call(v);
  const length = typedArrayLength.call(v);
  if (!bufferDetached && length === 0 && buffer instanceof ArrayBuffer && isDetached(buffer)) {
    throw mxError('BAD_INPUT', `${what} is a Uint8Array over a detached ArrayBuffer`);
  }
  budget.spend(length);
  const out = new Uint8Array(length);
  if (length) out.set(new Uint8Array(buffer, offset, length));
  return out;
}

/**
 * A callback that calls `fn` with plain arguments and returns a plain copy
 * of its answer; anything it throws becomes BAD_INPUT, so that the call it
 * was given to rejects (the Go side unwinds that call only).
 */
function guardCallback(fn, what) {
  return function guardedCallback(...args) {
    let r;
    try {
      r = fn(...args);
    } catch (e) {
      throw mxError('BAD_INPUT', `${what} threw: ${describeError(e)}`, e);
    }
    try {
      // A promise (a restore's onBatch applies back-pressure with one;
      // connect's fetch resolves to a Response) is awaited by the loader's
      // own JS, never read by Go: its value is passed on as it is.
      if (r instanceof Promise) return r;
    } catch (e) {
      throw mxError('BAD_INPUT', `the value ${what} returned cannot be read: ${describeError(e)}`, e);
    }
    return plainCopy(r, `the value ${what} returned`);
  };
}

function describeError(e) {
  try {
    return typeof e?.message === 'string' ? e.message : String(e);
  } catch {
    return 'an unprintable value';
  }
}

// Where in an argument a value is: built into text only for an error
// message (a whole restore body has hundreds of thousands of values).
class Path {
  constructor(root) {
    this.root = root;
    this.keys = [];
  }

  toString() {
    let s = this.root;
    for (const k of this.keys) s += typeof k === 'number' ? `[${k}]` : `.${k}`;
    return s;
  }
}

function copy(v, path, budget, depth) {
  switch (typeof v) {
    case 'undefined':
    case 'boolean':
      return v;
    case 'number':
      // Top-level numbers are checked by the call (an index, a count);
      // inside a value, JSON has no NaN or Infinity to give them.
      if (depth > 0 && !Number.isFinite(v)) throw mxError('BAD_INPUT', `${path} is ${v}, not a JSON number`);
      return v;
    case 'string':
      budget.spend(v.length);
      return v;
    case 'bigint':
      throw mxError('BAD_INPUT', `${path} is a BigInt; use a number`);
    case 'symbol':
      throw mxError('BAD_INPUT', `${path} is a Symbol`);
    case 'function':
      return guardCallback(v, String(path));
    default:
      break;
  }
  if (v === null) return null;
  if (ownObjects.has(v)) return v;
  budget.spend(NODE_COST);
  if (depth >= MAX_DEPTH) throw mxError('BAD_INPUT', `${path} is nested more than ${MAX_DEPTH} levels deep (or is cyclic)`);
  if (isView(v)) return copyBytes(v, String(path), budget);
  if (v instanceof ArrayBuffer) throw mxError('BAD_INPUT', `${path} must be a Uint8Array, got an ArrayBuffer`);
  if (typeof v.toJSON === 'function') {
    // As JSON.stringify does (a Date becomes its ISO text).
    return copy(v.toJSON(), path, budget, depth);
  }
  const keys = path.keys;
  if (isArray(v)) {
    const n = v.length;
    if (!Number.isSafeInteger(n) || n < 0) throw mxError('BAD_INPUT', `${path} has a bad length`);
    budget.spend(n * NODE_COST);
    const out = new Array(n);
    keys.push(0);
    for (let i = 0; i < n; i++) {
      keys[keys.length - 1] = i;
      out[i] = copy(v[i], path, budget, depth + 1);
    }
    keys.pop();
    return out;
  }
  const out = {};
  keys.push('');
  for (const k of objectKeys(v)) {
    budget.spend(k.length + NODE_COST);
    keys[keys.length - 1] = k;
    const e = copy(v[k], path, budget, depth + 1);
    // An own "__proto__" key (JSON.parse makes them) stays a plain key.
    if (k === '__proto__') Object.defineProperty(out, k, { value: e, enumerable: true, writable: true, configurable: true });
    else out[k] = e;
  }
  keys.pop();
  return out;
}

// For hosts without ArrayBuffer.prototype.detached (Node 20): only a
// detached buffer refuses a new view.
function isDetached(buffer) {
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * A plain copy of one value, or an MxCryptoError (BAD_INPUT) saying what is
 * wrong with it. Whatever the value does while it is read (a getter or a
 * Proxy trap that throws, a stack overflow) becomes BAD_INPUT too.
 */
export function plainCopy(v, what = 'argument') {
  try {
    return copy(v, new Path(what), new Budget(what), 0);
  } catch (e) {
    if (e?.name === 'MxCryptoError') throw e;
    throw mxError('BAD_INPUT', `${what} cannot be read: ${describeError(e)}`, e);
  }
}

/** A rejection for a value a public function threw or rejected with. */
function coded(e, name) {
  if (e?.name === 'MxCryptoError' && typeof e.code === 'string') return e;
  // Every expected failure has a code; one without is a bug here.
  return mxError('INTERNAL', `${name}: internal error (a bug in mxcrypto, please report it): ${describeError(e)}`, e);
}

/**
 * `fn` as a public function: arguments become plain copies at call time,
 * the answer is always a Promise, and every rejection has a code.
 */
export function guardFunction(fn, name, thisCheck) {
  const guarded = function guarded(...args) {
    let copied;
    try {
      if (thisCheck && !thisCheck(this)) throw mxError('BAD_INPUT', `${name} was called on something that is not one (this)`);
      copied = args.map((a, i) => plainCopy(a, `${name} argument ${i + 1}`));
    } catch (e) {
      return Promise.reject(coded(e, name));
    }
    try {
      return Promise.resolve(fn.apply(this, copied)).catch((e) => Promise.reject(coded(e, name)));
    } catch (e) {
      return Promise.reject(coded(e, name));
    }
  };
  originals.set(guarded, fn);
  return guarded;
}

const originals = new WeakMap(); // guarded function → the function it guards

/**
 * How many parameters the function behind a guarded one declares (defaults
 * included; a rest parameter counts as Infinity). For the garbage sweep,
 * which tries every position.
 */
export function declaredParameters(guarded) {
  const fn = originals.get(guarded) ?? guarded;
  const src = Function.prototype.toString.call(fn);
  if (/^(async\s+)?[A-Za-z_$][\w$]*\s*=>/.test(src)) return 1;
  const open = src.indexOf('(');
  let depth = 0;
  let commas = 0;
  let body = '';
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i];
    if (depth === 0 && c === ')') break;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) commas++;
    body += c;
  }
  if (body.includes('...')) return Infinity;
  return body.trim() === '' ? 0 : commas + 1;
}

/**
 * Wraps every method of a class (on its prototype) with guardFunction.
 * Returns the set the constructor must add each instance to: a method called
 * on anything else rejects with BAD_INPUT. Instances are passed to other
 * functions as they are (megolm.keepBetter takes two sessions).
 */
export function guardClass(Class, name, { sync = [] } = {}) {
  const members = new WeakSet();
  const register = { add: (o) => { members.add(o); ownObjects.add(o); } };
  const proto = Class.prototype;
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (typeof d.value !== 'function') continue;
    const method = `${name}.${key}`;
    const wrapped = sync.includes(key) ? guardSyncFunction(d.value, method) : guardFunction(d.value, method, (t) => members.has(t));
    Object.defineProperty(proto, key, { ...d, value: wrapped });
  }
  return register;
}

/**
 * For the few synchronous functions of the API (ReplayGuard): plain copies
 * too, and anything thrown is an MxCryptoError with a code.
 */
export function guardSyncFunction(fn, name) {
  const guarded = function guardedSync(...args) {
    try {
      return fn.apply(this, args.map((a, i) => plainCopy(a, `${name} argument ${i + 1}`)));
    } catch (e) {
      throw coded(e, name);
    }
  };
  originals.set(guarded, fn);
  return guarded;
}

/**
 * The API object with every function in it (nested objects included)
 * guarded. Classes (exported for instanceof) and accessors are kept as they
 * are: their methods are guarded by guardClass.
 */
export function guardApi(api, prefix = '') {
  for (const key of Object.keys(api)) {
    const d = Object.getOwnPropertyDescriptor(api, key);
    if (!('value' in d)) continue;
    const v = d.value;
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof v === 'function') {
      if (isClass(v)) continue;
      api[key] = guardFunction(v, name);
    } else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      guardApi(v, name);
    }
  }
  return api;
}

function isClass(fn) {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}
