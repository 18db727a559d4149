// The JS half of direct calls (see jsbridge/direct.go): arguments and
// answers cross as tagged bytes in wasm memory, so a per-message operation
// costs a function call instead of a trip through the Go scheduler.
import { mxError } from './common.mjs';
import { utf8Encoder as encoder, utf8Decoder as decoder } from './env.mjs';

const NULL = 0, FALSE = 1, TRUE = 2, NUMBER = 3, STRING = 4, BYTES = 5, OBJECT = 6, ARRAY = 7, JSON_TEXT = 8;


/** Encodes arguments: null/undefined, booleans, numbers, strings, Uint8Arrays, and objects (as JSON). */
function encodeArgs(args) {
  const parts = [];
  let size = 0;
  for (const a of args) {
    if (a === null || a === undefined) {
      parts.push([NULL]);
      size += 1;
    } else if (typeof a === 'boolean') {
      parts.push([a ? TRUE : FALSE]);
      size += 1;
    } else if (typeof a === 'number') {
      parts.push([NUMBER, a]);
      size += 9;
    } else if (typeof a === 'string') {
      const b = encoder.encode(a);
      parts.push([STRING, b]);
      size += 5 + b.length;
    } else if (a instanceof Uint8Array) {
      parts.push([BYTES, a]);
      size += 5 + a.length;
    } else {
      const b = encoder.encode(JSON.stringify(a));
      parts.push([JSON_TEXT, b]);
      size += 5 + b.length;
    }
  }
  return { parts, size };
}

function writeArgs(mem, ptr, { parts, size }) {
  const u8 = new Uint8Array(mem.buffer, ptr, size);
  const dv = new DataView(mem.buffer, ptr, size);
  let o = 0;
  for (const [tag, v] of parts) {
    u8[o++] = tag;
    if (tag === NUMBER) {
      dv.setFloat64(o, v, true);
      o += 8;
    } else if (tag === STRING || tag === BYTES || tag === JSON_TEXT) {
      dv.setUint32(o, v.length, true);
      u8.set(v, o + 4);
      o += 4 + v.length;
    }
  }
}

class Reader {
  constructor(mem, ptr, n) {
    this.u8 = new Uint8Array(mem.buffer, ptr, n);
    this.dv = new DataView(mem.buffer, ptr, n);
    this.o = 0;
  }
  u32() {
    const v = this.dv.getUint32(this.o, true);
    this.o += 4;
    return v;
  }
  raw() {
    const n = this.u32();
    const b = this.u8.subarray(this.o, this.o + n);
    this.o += n;
    return b;
  }
  string() {
    return decoder.decode(this.raw());
  }
  value() {
    const tag = this.u8[this.o++];
    switch (tag) {
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case NUMBER: {
        const v = this.dv.getFloat64(this.o, true);
        this.o += 8;
        return v;
      }
      case STRING: return this.string();
      case BYTES: return this.raw().slice();
      case JSON_TEXT: return JSON.parse(this.string());
      case OBJECT: {
        const o = {};
        for (let n = this.u32(); n > 0; n--) {
          const k = this.string();
          o[k] = this.value();
        }
        return o;
      }
      case ARRAY: {
        const a = new Array(this.u32());
        for (let i = 0; i < a.length; i++) a[i] = this.value();
        return a;
      }
      default: throw new Error(`direct call answer: unknown tag ${tag}`);
    }
  }
}

/**
 * Calls direct operation `op` of a running instance synchronously. Returns
 * the result or throws the Go error; a trap throws { trapped: error }.
 */
export function callDirect(exports, op, args) {
  const req = encodeArgs(args);
  const ptr = exports.mxcrypto_exchange(req.size);
  writeArgs(exports.mem, ptr, req);
  wipeEncoded(req); // our UTF-8 copies of plaintexts; Go wipes the request in its memory
  let n;
  try {
    n = exports.mxcrypto_call(op, req.size);
  } catch (e) {
    throw { trapped: e };
  }
  const r = new Reader(exports.mem, exports.mxcrypto_exchange(0), n);
  try {
    if (r.u8[r.o++] === 0) return r.value();
    const code = r.string();
    throw mxError(code, r.string());
  } finally {
    // The answer (a decrypted plaintext, a session state) is copied out:
    // wipe it from wasm memory, where it would stay until the next call.
    r.u8.fill(0);
  }
}

function wipeEncoded({ parts }) {
  for (const [tag, v] of parts) if (tag === STRING || tag === JSON_TEXT) v.fill(0);
}
