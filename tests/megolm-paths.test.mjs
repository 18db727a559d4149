// Megolm decrypt gives the same results and codes with WebCrypto verifying
// signatures alongside Go and with Go doing everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

const fast = await init();
const goOnly = await init({ webCrypto: false });

function tamper(message, at) {
  const raw = Buffer.from(message, 'base64');
  raw[at < 0 ? raw.length + at : at] ^= 1;
  return raw.toString('base64').replace(/=+$/, '');
}

for (const [name, mx] of [['WebCrypto + Go', fast], ['Go only', goOnly]]) {
  test(`${name}: decrypts, and refuses altered or unknown messages without changing the session`, async () => {
    const out = await mx.megolm.createOutboundSession();
    const key = await out.sessionKey();
    const msgs = [];
    for (let i = 0; i < 8; i++) msgs.push(await out.encrypt(`m${i}`));
    const inb = await mx.megolm.createInboundSession(key);
    assert.deepEqual(await inb.decrypt(msgs[3]), { plaintext: 'm3', messageIndex: 3 });
    await assert.rejects(inb.decrypt(tamper(msgs[4], -1)), (e) => e.code === 'BAD_SIGNATURE'); // signature
    await assert.rejects(inb.decrypt(tamper(msgs[4], 20)), (e) => e.code === 'BAD_SIGNATURE'); // ciphertext
    await assert.rejects(inb.decrypt('!!'), (e) => e.code === 'BAD_MESSAGE');
    const late = await mx.megolm.importInboundSession(await inb.export(5));
    await assert.rejects(late.decrypt(msgs[2]), (e) => e.code === 'UNKNOWN_MESSAGE_INDEX');
    assert.deepEqual(await late.decrypt(msgs[7]), { plaintext: 'm7', messageIndex: 7 });
    assert.deepEqual(await inb.decrypt(msgs[4]), { plaintext: 'm4', messageIndex: 4 });
    // Another session's message: signed by someone else.
    const other = await mx.megolm.createOutboundSession();
    await assert.rejects(inb.decrypt(await other.encrypt('x')), (e) => e.code === 'BAD_SIGNATURE');
  });
}

// Issue 11 §6: the same damaged message gives the same code on every path.
// Every byte of a message is damaged in turn (xor 1, and for the header
// bytes a few chosen values); the code must not depend on the path, and a
// damaged version byte, index field or length must be BAD_MESSAGE as in
// libolm and vodozemac, which parse before they verify.
test('every damaged byte of a message gives the same code with and without WebCrypto', async () => {
  const codeOf = (mx, session, message) => session.decrypt(message).then(() => 'OK', (e) => e.code);
  const sessions = [];
  const out = await fast.megolm.createOutboundSession();
  const key = await out.sessionKey();
  for (const mx of [fast, goOnly]) sessions.push(await mx.megolm.createInboundSession(key));
  const message = await out.encrypt('hello');
  const raw = Buffer.from(message, 'base64');
  // Layout: 0x03 | 0x08 index | 0x12 length ciphertext | MAC(8) | signature(64).
  assert.deepEqual([raw[0], raw[1], raw[3]], [3, 0x08, 0x12]);
  const variants = [];
  for (let at = 0; at < raw.length; at++) {
    const damaged = Buffer.from(raw);
    damaged[at] ^= 1;
    variants.push({ what: `byte ${at} xor 1`, message: damaged });
  }
  const set = (at, v, what) => {
    const damaged = Buffer.from(raw);
    damaged[at] = v;
    variants.push({ what, message: damaged, want: 'BAD_MESSAGE' });
  };
  for (const v of [0, 2, 4, 0x83, 0xff]) set(0, v, `version ${v}`);
  for (const v of [0x0b, 0x0d, 0x0f]) set(1, v, `index tag ${v}`);
  set(2, 0xff, 'index varint runs into the next field');
  for (const v of [0x7f, raw[4] + 1, 0xff]) set(4, v, `ciphertext length ${v}`);
  variants.push({ what: 'truncated to the header', message: raw.subarray(0, 80), want: 'BAD_MESSAGE' });
  const counts = {};
  for (const { what, message: m, want } of variants) {
    const text = m.toString('base64').replace(/=+$/, '');
    const [withHost, goAlone] = [await codeOf(fast, sessions[0], text), await codeOf(goOnly, sessions[1], text)];
    assert.equal(withHost, goAlone, `${what}: ${withHost} with WebCrypto/node:crypto, ${goAlone} with Go only`);
    if (want) assert.equal(withHost, want, what);
    assert.notEqual(withHost, 'OK', `${what} must not decrypt`);
    counts[withHost] = (counts[withHost] ?? 0) + 1;
  }
  assert.ok(counts.BAD_MESSAGE > 0 && counts.BAD_SIGNATURE > 0, JSON.stringify(counts));
  // Both sessions are unchanged and still decrypt the genuine message.
  for (const s of sessions) assert.deepEqual(await s.decrypt(message), { plaintext: 'hello', messageIndex: 0 });
});
