// Megolm decrypt gives the same results and codes with WebCrypto verifying
// signatures alongside Go and with Go doing everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../jsbridge/index.mjs';

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
