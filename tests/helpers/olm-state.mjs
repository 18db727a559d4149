// Test-side readers for Olm state on the wire and in libolm pickles, so the
// interop tests can say which ratchet chain a message is on and which chains
// a libolm session pickle holds, independently of the code under test.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

import { b64, unb64 } from './random.mjs';

/** The sender's ratchet key (base64) of an Olm message {type, body}. */
export function messageRatchetKey(msg) {
  let bytes = unb64(msg.body);
  if (msg.type === 0) bytes = protoField(bytes.subarray(1), 4); // the embedded normal message
  return b64(protoField(bytes.subarray(1, bytes.length - 8), 1));
}

/** The value of the (last) length-delimited field `number` of a protobuf-style payload. */
function protoField(p, number) {
  let found = null;
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const c = p[i++];
      if (c === undefined) throw new Error('truncated Olm message');
      v += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return v;
    }
  };
  while (i < p.length) {
    const tag = varint();
    if ((tag & 7) === 0) {
      varint();
    } else if ((tag & 7) === 2) {
      const len = varint();
      if (tag >> 3 === number) found = p.subarray(i, i + len);
      i += len;
    } else {
      throw new Error(`Olm message: wire type ${tag & 7}`);
    }
  }
  if (!found) throw new Error(`Olm message has no field ${number}`);
  return found;
}

// libolm's pickle envelope: HKDF-SHA-256(zero salt, key, "Pickle") → AES key,
// MAC key, IV; base64(AES-256-CBC(raw) || HMAC-SHA-256(ciphertext)[:8]).
function envelopeKeys(key) {
  const okm = Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), Buffer.alloc(32), 'Pickle', 80));
  return { aes: okm.subarray(0, 32), mac: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}

/**
 * The contents of a libolm session pickle (version 1): every key as base64,
 * lists in pickle order (libolm writes receiver chains and skipped keys
 * newest first).
 */
export function decodeLibolmSessionPickle(pickle, key) {
  const k = envelopeKeys(key);
  const data = unb64(pickle);
  const ct = data.subarray(0, data.length - 8);
  const mac = createHmac('sha256', k.mac).update(ct).digest().subarray(0, 8);
  if (!mac.equals(Buffer.from(data.subarray(data.length - 8)))) throw new Error('libolm pickle: MAC mismatch');
  const d = createDecipheriv('aes-256-cbc', k.aes, k.iv);
  const raw = Buffer.concat([d.update(ct), d.final()]);
  let o = 0;
  const u32 = () => {
    const v = raw.readUInt32BE(o);
    o += 4;
    return v;
  };
  const bytes = (n) => b64(raw.subarray(o, (o += n)));
  const list = (read) => Array.from({ length: u32() }, read);
  const state = { version: u32(), receivedMessage: raw[o++] === 1 };
  if (state.version !== 1) throw new Error(`libolm session pickle version ${state.version}`);
  state.aliceIdentityKey = bytes(32);
  state.aliceBaseKey = bytes(32);
  state.bobOneTimeKey = bytes(32);
  state.rootKey = bytes(32);
  state.senderChains = list(() => ({ ratchetPublic: bytes(32), ratchetPrivate: bytes(32), chainKey: bytes(32), index: u32() }));
  state.receiverChains = list(() => ({ ratchetKey: bytes(32), chainKey: bytes(32), index: u32() }));
  state.skippedKeys = list(() => ({ ratchetKey: bytes(32), messageKey: bytes(32), index: u32() }));
  if (o !== raw.length) throw new Error(`libolm session pickle: ${raw.length - o} trailing bytes`);
  return state;
}

/** The inverse of decodeLibolmSessionPickle. */
export function encodeLibolmSessionPickle(state, key) {
  const parts = [];
  const u32 = (v) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    parts.push(b);
  };
  const bytes = (s) => parts.push(Buffer.from(unb64(s)));
  const list = (items, write) => {
    u32(items.length);
    items.forEach(write);
  };
  u32(state.version);
  parts.push(Buffer.from([state.receivedMessage ? 1 : 0]));
  [state.aliceIdentityKey, state.aliceBaseKey, state.bobOneTimeKey, state.rootKey].forEach(bytes);
  list(state.senderChains, (c) => [c.ratchetPublic, c.ratchetPrivate, c.chainKey].forEach(bytes) || u32(c.index));
  list(state.receiverChains, (c) => [c.ratchetKey, c.chainKey].forEach(bytes) || u32(c.index));
  list(state.skippedKeys, (c) => [c.ratchetKey, c.messageKey].forEach(bytes) || u32(c.index));
  const k = envelopeKeys(key);
  const e = createCipheriv('aes-256-cbc', k.aes, k.iv);
  const ct = Buffer.concat([e.update(Buffer.concat(parts)), e.final()]);
  return b64(Buffer.concat([ct, createHmac('sha256', k.mac).update(ct).digest().subarray(0, 8)]));
}
