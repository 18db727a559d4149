// The JS half of the private byte formats between the loader and the wasm
// module (docs/bridge-formats.md): direct-call requests and answers, the
// backup decrypt batch, the restore prepare batch and the packed inbound
// sessions of Store.putInbound. The Go half is internal/bridgewire; the
// golden files in testdata/wire/ are checked byte for byte by both
// (tests/wire-golden.test.mjs here). Integers are little-endian. Nothing here
// touches wasm memory or the runtime: callers hand in and get back bytes.

import { utf8Encoder as encoder, utf8Decoder as decoder } from './env.mjs';

export const TAG = Object.freeze({ NULL: 0, FALSE: 1, TRUE: 2, NUMBER: 3, STRING: 4, BYTES: 5, OBJECT: 6, ARRAY: 7, JSON_TEXT: 8 });
const { NULL, FALSE, TRUE, NUMBER, STRING, BYTES, OBJECT, ARRAY, JSON_TEXT } = TAG;

/** The codes a backup batch status can carry; the last stands for any other (bridgewire.BatchCodes). */
export const BATCH_CODES = Object.freeze(['', 'WRONG_KEY', 'BAD_MESSAGE', 'BAD_INPUT', 'INTERNAL']);

export const SHARED_SIZE = 32;
export const MAC_SIZE = 8;
/** The longest room or session id a prepare batch carries (u16 length). */
export const MAX_ID = 0xffff;


// --- direct calls (§1) -----------------------------------------------------------

/**
 * Plans the encoding of a direct call's arguments: null/undefined, booleans,
 * numbers, strings, Uint8Arrays, and anything else as JSON. Returns
 * { parts, size }; writeArgs writes it, wipeArgs wipes the UTF-8 copies.
 */
export function encodeArgs(args) {
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

/** Writes a plan from encodeArgs into `out` (a Uint8Array of at least plan.size bytes, e.g. a view of wasm memory). */
export function writeArgs(out, { parts }) {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 0;
  for (const [tag, v] of parts) {
    out[o++] = tag;
    if (tag === NUMBER) {
      dv.setFloat64(o, v, true);
      o += 8;
    } else if (tag === STRING || tag === BYTES || tag === JSON_TEXT) {
      dv.setUint32(o, v.length, true);
      out.set(v, o + 4);
      o += 4 + v.length;
    }
  }
  return o;
}

/** Wipes the UTF-8 copies of strings (plaintexts) that encodeArgs made. */
export function wipeArgs({ parts }) {
  for (const [tag, v] of parts) if (tag === STRING || tag === JSON_TEXT) v.fill(0);
}

class Reader {
  constructor(u8) {
    this.b = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.o = 0;
  }
  u8() {
    if (this.o >= this.b.length) throw new Error('bridge answer is truncated');
    return this.b[this.o++];
  }
  u32() {
    const v = this.dv.getUint32(this.o, true); // throws RangeError past the end
    this.o += 4;
    return v;
  }
  raw() {
    const n = this.u32();
    if (this.o + n > this.b.length) throw new Error('bridge answer is truncated');
    const b = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return b;
  }
  string() {
    return decoder.decode(this.raw());
  }
  value() {
    const tag = this.u8();
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
 * Decodes a direct call's answer: { ok: true, value } or { ok: false, code,
 * message }. Bytes and strings are copied out, so the caller may wipe `u8`.
 */
export function decodeAnswer(u8) {
  const r = new Reader(u8);
  if (r.u8() === 0) return { ok: true, value: r.value() };
  const code = r.string();
  return { ok: false, code, message: r.string() };
}

// --- backup batch (§2) and prepare batch (§3) ----------------------------------------

/**
 * Encodes a backup batch: per entry (shared 32, mac 8, ct) as
 * shared | mac | u32 ct length | ct. The caller wipes the result.
 */
export function encodeSharedBatch(entries) {
  let size = 0;
  for (const e of entries) size += SHARED_SIZE + MAC_SIZE + 4 + e.ct.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const e of entries) o = putShared(out, dv, o, e);
  return out;
}

function putShared(out, dv, o, e) {
  out.set(e.shared, o);
  out.set(e.mac, o + SHARED_SIZE);
  dv.setUint32(o + SHARED_SIZE + MAC_SIZE, e.ct.length, true);
  out.set(e.ct, o + SHARED_SIZE + MAC_SIZE + 4);
  return o + SHARED_SIZE + MAC_SIZE + 4 + e.ct.length;
}

/**
 * Decodes Go's answer to a backup batch of `count` entries: [{ code,
 * plaintext }], code '' on success; plaintexts are views into `out`.
 */
export function decodeBatchAnswer(out, count) {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const results = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    const status = out[o];
    const len = dv.getUint32(o + 1, true);
    if (o + 5 + len > out.length) throw new Error('backup batch answer is truncated');
    results.push({ code: status === 0 ? '' : (BATCH_CODES[status] ?? 'INTERNAL'), plaintext: out.subarray(o + 5, o + 5 + len) });
    o += 5 + len;
  }
  if (o !== out.length) throw new Error('backup batch answer has bytes after its entries');
  return results;
}

/**
 * Encodes a restore prepare batch: per entry (shared, mac, ct, room, session;
 * room and session as UTF-8 bytes of at most MAX_ID) a backup-batch entry,
 * then u16 room length | room | u16 session length | session.
 */
export function encodePrepareBatch(entries) {
  let size = 0;
  for (const e of entries) size += SHARED_SIZE + MAC_SIZE + 4 + e.ct.length + 2 + e.room.length + 2 + e.session.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const e of entries) {
    o = putShared(out, dv, o, e);
    for (const id of [e.room, e.session]) {
      if (id.length > MAX_ID) throw new RangeError('id too long for a prepare batch');
      dv.setUint16(o, id.length, true);
      out.set(id, o + 2);
      o += 2 + id.length;
    }
  }
  return out;
}

// --- packed inbound sessions (§5) ----------------------------------------------------

/**
 * Encodes sessions for Store.putInbound: per session (room, session and state
 * as bytes, index a u32, backedUp a boolean)
 * u32 length | room | u32 length | session | u32 length | state | u32 index | u8 backedUp.
 */
export function encodePackedInbound(sessions) {
  let size = 0;
  for (const s of sessions) size += 12 + s.room.length + s.session.length + s.state.length + 5;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const s of sessions) {
    for (const b of [s.room, s.session, s.state]) {
      dv.setUint32(o, b.length, true);
      out.set(b, o + 4);
      o += 4 + b.length;
    }
    dv.setUint32(o, s.index, true);
    out[o + 4] = s.backedUp ? 1 : 0;
    o += 5;
  }
  return out;
}

/** UTF-8 bytes of a string, for the id fields above. */
export function utf8(s) {
  return encoder.encode(s);
}
