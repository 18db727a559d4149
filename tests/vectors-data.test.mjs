// The vectors of testdata/vectors/x25519.json, backup.json and megolm.json
// through the JS API: the same files the Go tests read (internal/vectors), so a value
// changed in one place is checked from both languages.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx } from './helpers/peers.mjs';
import { assertBytes } from './helpers/util.mjs';
import { backupVector, loadVectors, x25519Key } from './helpers/vectors.mjs';

const X25519 = loadVectors('x25519.json');
const BACKUP = loadVectors('backup.json');
const MEGOLM = loadVectors('megolm.json');

let mx;
before(async () => {
  mx = await loadMx();
});

test('every vector names its source', () => {
  for (const [name, k] of Object.entries(X25519.keys)) assert.ok(k.source, `x25519.json ${name}`);
  for (const list of [BACKUP.recovery_keys, BACKUP.key_base64]) for (const k of list) assert.ok(k.source, k.text ?? k.base64);
  assert.ok(BACKUP.pk_encryption.source);
  assert.ok(BACKUP.key_export.source);
  for (const [name, v] of Object.entries(BACKUP.session_data)) assert.ok(v.source, `backup.json ${name}`);
});

describe('x25519.json', () => {
  for (const name of Object.keys(X25519.keys)) {
    test(`${name}: public key`, async () => {
      const k = x25519Key(name);
      assert.equal(await mx.backup.publicKey(k.private), k.publicB64);
      assert.equal(Buffer.from(k.public).toString('base64').replace(/=+$/, ''), k.publicB64);
    });
  }
});

describe('backup.json', () => {
  for (const k of BACKUP.recovery_keys) {
    test(`recovery key ${k.text} ⇄ ${k.key}`, async () => {
      const key = x25519Key(k.key).private;
      assertBytes(await mx.recoveryKey.decode(k.text), key);
      assert.equal(await mx.recoveryKey.encode(key), k.text);
    });
  }

  for (const k of BACKUP.key_base64) {
    test(`base64 key ${k.base64} is ${k.key}`, () => {
      assertBytes(Uint8Array.from(Buffer.from(k.base64, 'base64')), x25519Key(k.key).private);
    });
  }

  test('pk_encryption: libolm PkEncryption message decrypts (curve25519-aes-sha2)', async () => {
    const v = BACKUP.pk_encryption;
    assert.equal(v.message.ephemeral, x25519Key(v.ephemeral_key).publicB64);
    assert.equal(await mx.secretStorage.decryptCurve25519(v.message, x25519Key(v.recipient).private), v.plaintext_text);
  });

  for (const name of Object.keys(BACKUP.session_data)) {
    test(`session_data ${name} decrypts${BACKUP.session_data[name].plaintext ? ' to its plaintext' : ''}`, async () => {
      const v = backupVector(name);
      const out = await mx.backup.decrypt(v.privateKey, v.session_data);
      if (v.plaintext) assert.deepEqual(out, v.plaintext);
      else assert.equal(out.algorithm, 'm.megolm.v1.aes-sha2');
      // Made for this key only: another vector's key is WRONG_KEY.
      const other = Object.keys(BACKUP.session_data).map(backupVector)
        .find((w) => Buffer.compare(Buffer.from(w.privateKey), Buffer.from(v.privateKey)) !== 0);
      await assert.rejects(mx.backup.decrypt(other.privateKey, v.session_data), (e) => e.code === 'WRONG_KEY');
    });
  }

  test('key_export: the file opens with its passphrase through a device', async () => {
    const v = BACKUP.key_export;
    const device = await mx.openDevice({ userId: '@alice:example.org', deviceId: 'VECTORS', store: `vectors-${process.pid}`, backend: 'memory', storeKey: new Uint8Array(32).fill(7) });
    try {
      const res = await device.importRoomKeys(v.file_text, v.passphrase);
      assert.ok(res.imported > 0, JSON.stringify(res));
      assert.equal(res.imported, res.total);
      await assert.rejects(device.importRoomKeys(v.file_text, v.passphrase + '5'), (e) => e.code === 'BAD_MAC');
    } finally {
      await device.close();
    }
  });
});

describe('megolm.json', () => {
  test('group_session: the libolm session key decrypts its message; a tampered message is BAD_SIGNATURE', async () => {
    const v = MEGOLM.group_session;
    const inbound = await mx.megolm.createInboundSession(v.session_key);
    assert.equal(inbound.sessionId, v.session_id);
    assert.equal(inbound.isVerified, true);
    assert.deepEqual(await inbound.decrypt(v.message), { plaintext: v.plaintext_text, messageIndex: 0 });
    const other = MEGOLM.group_session_other_signing_key;
    const inbound2 = await mx.megolm.createInboundSession(other.session_key);
    assert.equal((await inbound2.decrypt(other.message)).plaintext, other.plaintext_text);
    await assert.rejects(inbound2.decrypt(other.message.slice(0, -1) + 'E'), (e) => e.code === 'BAD_SIGNATURE');
    await assert.rejects(inbound2.decrypt(v.message), (e) => e.code === 'BAD_SIGNATURE');
  });

  test('exported_session: the js-sdk export decrypts its room event and re-exports identically', async () => {
    const v = MEGOLM.exported_session;
    const session = backupVector(v.session).plaintext;
    const inbound = await mx.megolm.importInboundSession(session.session_key);
    assert.equal(inbound.sessionId, session.session_id);
    assert.deepEqual(await inbound.decrypt(v.event_ciphertext), { plaintext: v.event_plaintext_text, messageIndex: 0 });
    assert.equal(await inbound.export(0), session.session_key);
  });

  test('libolm_pickles: the all-zero libolm Megolm pickles import and export back unchanged', async () => {
    const v = MEGOLM.libolm_pickles;
    const inbound = await mx.megolm.importLibolmInboundSession(v.inbound, v.pickle_key_text);
    assert.equal(await inbound.exportLibolmPickle(v.pickle_key_text), v.inbound);
    const outbound = await mx.megolm.importLibolmOutboundSession(v.outbound, v.pickle_key_text);
    assert.equal(outbound.sessionId, 'A'.repeat(43));
    await assert.rejects(mx.megolm.importLibolmInboundSession(v.inbound, 'other'), (e) => e.code === 'WRONG_KEY');
  });

  test('backup.json jssdk_backup_spec: the restored session decrypts the js-sdk room event', async () => {
    const v = backupVector('jssdk_backup_spec');
    const data = await mx.backup.decrypt(v.privateKey, v.session_data);
    const inbound = await mx.megolm.importInboundSession(data.session_key);
    assert.equal(inbound.sessionId, v.session_id);
    const { plaintext } = await inbound.decrypt(v.event_ciphertext);
    assert.equal(JSON.parse(plaintext).content, v.event_content);
  });
});
