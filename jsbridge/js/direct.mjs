// The JS half of direct calls (see jsbridge/direct.go): arguments and
// answers cross as tagged bytes in wasm memory, so a per-message operation
// costs a function call instead of a trip through the Go scheduler. The byte
// format is wireformat.mjs's (docs/bridge-formats.md §1).
import { mxError } from './common.mjs';
import { decodeAnswer, encodeArgs, wipeArgs, writeArgs } from './wireformat.mjs';

/**
 * Calls direct operation `op` of a running instance synchronously. Returns
 * the result or throws the Go error; a trap throws { trapped: error }.
 */
export function callDirect(exports, op, args) {
  const req = encodeArgs(args);
  const ptr = exports.mxcrypto_exchange(req.size);
  writeArgs(new Uint8Array(exports.mem.buffer, ptr, req.size), req);
  wipeArgs(req); // our UTF-8 copies of plaintexts; Go wipes the request in its memory
  let n;
  try {
    n = exports.mxcrypto_call(op, req.size);
  } catch (e) {
    throw { trapped: e };
  }
  const answer = new Uint8Array(exports.mem.buffer, exports.mxcrypto_exchange(0), n);
  try {
    const a = decodeAnswer(answer);
    if (a.ok) return a.value;
    throw mxError(a.code, a.message);
  } finally {
    // The answer (a decrypted plaintext, a session state) is copied out:
    // wipe it from wasm memory, where it would stay until the next call.
    answer.fill(0);
  }
}
