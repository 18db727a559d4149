// The JS half of the bridge byte formats (jsbridge/js/wireformat.mjs) against
// the golden files in testdata/wire/, which internal/bridgewire's Go tests
// check too: if either half drifts, one of the two fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BATCH_CODES, decodeAnswer, decodeBatchAnswer, encodeArgs, encodePackedInbound, encodePrepareBatch, encodeSharedBatch, utf8, writeArgs,
} from '../jsbridge/js/wireformat.mjs';

const dir = new URL('../testdata/wire/', import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8'));
const golden = (c) => new Uint8Array(readFileSync(new URL(c.file, dir)));
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const byFile = Object.fromEntries(cases.map((c) => [c.file, c]));

// The notation of cases.json as JS values: what the loader passes (as
// arguments) or gets (from an answer).
function jsValue(v) {
  if (Array.isArray(v)) return v.map(jsValue);
  if (v === null || typeof v !== 'object') return v;
  if ('$bytes' in v) return hex(v.$bytes);
  if ('$json' in v) return JSON.parse(v.$json);
  if ('$object' in v) return Object.fromEntries(v.$object.map(([k, x]) => [k, jsValue(x)]));
  throw new Error(`unknown notation ${JSON.stringify(v)}`);
}

const shared = (e) => ({ shared: hex(e.shared), mac: hex(e.mac), ct: hex(e.ciphertext) });

test('every golden case is checked here or named as Go-only', () => {
  const jsChecked = ['direct-request.bin', 'direct-answer.bin', 'direct-error.bin', 'backup-batch.bin', 'backup-batch-answer.bin', 'prepare-batch.bin', 'packed-inbound.bin'];
  const goOnly = ['prepared-batch.bin']; // both ends in Go; the loader passes it on unread
  assert.deepEqual(cases.map((c) => c.file).sort(), [...jsChecked, ...goOnly].sort());
});

test('direct request: encodeArgs writes the golden bytes', () => {
  const c = byFile['direct-request.bin'];
  const plan = encodeArgs(c.args.map(jsValue));
  const out = new Uint8Array(plan.size);
  assert.equal(writeArgs(out, plan), plan.size);
  assert.deepEqual(out, golden(c));
});

test('direct answer: decodeAnswer reads the golden value', () => {
  const c = byFile['direct-answer.bin'];
  assert.deepEqual(decodeAnswer(golden(c)), { ok: true, value: jsValue(c.value) });
});

test('direct error answer: decodeAnswer reads code and message', () => {
  const c = byFile['direct-error.bin'];
  assert.deepEqual(decodeAnswer(golden(c)), { ok: false, code: c.code, message: c.message });
});

test('direct answer: a truncated answer throws instead of reading past the end', () => {
  const b = golden(byFile['direct-answer.bin']);
  for (const n of [1, 6, 20, b.length - 1]) assert.throws(() => decodeAnswer(b.subarray(0, n)));
});

test('backup batch: encodeSharedBatch writes the golden bytes', () => {
  const c = byFile['backup-batch.bin'];
  assert.deepEqual(encodeSharedBatch(c.entries.map(shared)), golden(c));
});

test('backup batch answer: codes and plaintexts as golden, and the same code list as Go', () => {
  const c = byFile['backup-batch-answer.bin'];
  assert.deepEqual([...BATCH_CODES], c.codes);
  const got = decodeBatchAnswer(golden(c), c.results.length);
  assert.deepEqual(got.map((r) => ({ code: r.code, plaintext: r.plaintext.slice() })), c.results.map((r) => ({ code: r.code, plaintext: hex(r.plaintext) })));
  assert.throws(() => decodeBatchAnswer(golden(c), c.results.length - 1), /after its entries/);
});

test('restore prepare batch: encodePrepareBatch writes the golden bytes', () => {
  const c = byFile['prepare-batch.bin'];
  const entries = c.entries.map((e) => ({ ...shared(e), room: utf8(e.roomId), session: utf8(e.sessionId) }));
  assert.deepEqual(encodePrepareBatch(entries), golden(c));
});

test('packed inbound sessions: encodePackedInbound writes the golden bytes', () => {
  const c = byFile['packed-inbound.bin'];
  const sessions = c.sessions.map((s) => ({ room: utf8(s.roomId), session: utf8(s.sessionId), state: hex(s.state), index: s.firstKnownIndex, backedUp: s.backedUp }));
  assert.deepEqual(encodePackedInbound(sessions), golden(c));
});
