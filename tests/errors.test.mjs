// Error mapping: every error code the JS API documents, triggered on
// purpose. Each rejection must be an Error with a string `code` and a
// non-empty message.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadMxGoOnly } from './helpers/peers.mjs';
import { b64, randomKey, randomRoomId, randomSessionData, randomSessionId } from './helpers/random.mjs';
import { buildRecoveryKey, referencePkEncrypt, rejectsWithCode, tamperB64 } from './helpers/util.mjs';

const AES = 'm.secret_storage.v1.aes-hmac-sha2';
// For backup.decrypt / decryptCurve25519 a MAC mismatch can only mean the
// key is wrong (the MAC covers the empty string, not the ciphertext —
// docs/backup.md §3), so it is WRONG_KEY (as index.d.ts documents), never BAD_MAC.

let mx;
before(async () => {
  mx = await loadMx();
});

async function backupFixture() {
  const { privateKey, publicKey } = await mx.backup.createKey();
  const session = randomSessionData();
  const encrypted = await mx.backup.encrypt(publicKey, session);
  return { privateKey, publicKey, session, encrypted };
}

async function ssssFixture(name = 'm.cross_signing.master') {
  const key = randomKey();
  const secret = b64(randomKey());
  const encrypted = await mx.secretStorage.encrypt(secret, key, name);
  return { key, secret, name, encrypted };
}

describe('errors are Promise rejections', () => {
  test('a bad call returns a Promise that rejects (no synchronous throw)', async () => {
    let p;
    assert.doesNotThrow(() => {
      p = mx.recoveryKey.decode('not a key');
    }, 'recoveryKey.decode threw synchronously');
    assert.ok(p && typeof p.then === 'function', 'recoveryKey.decode must return a Promise');
    await assert.rejects(p, (err) => err instanceof Error && err.code === 'BAD_RECOVERY_KEY');

    let q;
    assert.doesNotThrow(() => {
      q = mx.secretStorage.encrypt('x', new Uint8Array(31), 'n');
    }, 'secretStorage.encrypt threw synchronously');
    assert.ok(q && typeof q.then === 'function', 'secretStorage.encrypt must return a Promise');
    await assert.rejects(q, (err) => err instanceof Error && err.code === 'BAD_INPUT');
  });
});

describe('BAD_INPUT', () => {
  const key31 = new Uint8Array(31);
  const key33 = new Uint8Array(33);

  test('keys that are not 32 bytes', async () => {
    await rejectsWithCode(() => mx.recoveryKey.encode(key31), 'BAD_INPUT', 'recoveryKey.encode(31 bytes)');
    await rejectsWithCode(() => mx.recoveryKey.encode(key33), 'BAD_INPUT', 'recoveryKey.encode(33 bytes)');
    await rejectsWithCode(() => mx.secretStorage.encrypt('s', key31, 'n'), 'BAD_INPUT', 'secretStorage.encrypt(31-byte key)');
    const { encrypted, name } = await ssssFixture();
    await rejectsWithCode(() => mx.secretStorage.decrypt(encrypted, key31, name), 'BAD_INPUT', 'secretStorage.decrypt(31-byte key)');
    await rejectsWithCode(() => mx.backup.publicKey(key31), 'BAD_INPUT', 'backup.publicKey(31 bytes)');
    const backup = await backupFixture();
    await rejectsWithCode(() => mx.backup.decrypt(key31, backup.encrypted), 'BAD_INPUT', 'backup.decrypt(31-byte key)');
    await rejectsWithCode(
      () => mx.secretStorage.decryptCurve25519(backup.encrypted, key33),
      'BAD_INPUT',
      'decryptCurve25519(33-byte key)',
    );
    await rejectsWithCode(
      () => mx.secretStorage.checkKey(key31, { algorithm: AES, iv: b64(new Uint8Array(16)), mac: b64(new Uint8Array(32)) }),
      'BAD_INPUT',
      'checkKey(31-byte key)',
    );
  });

  test('keys that are not Uint8Arrays', async () => {
    await rejectsWithCode(() => mx.recoveryKey.encode('not bytes'), 'BAD_INPUT', 'recoveryKey.encode(string)');
    await rejectsWithCode(() => mx.backup.publicKey(undefined), 'BAD_INPUT', 'backup.publicKey(undefined)');
  });

  test('encrypted argument that is not an object', async () => {
    const backup = await backupFixture();
    for (const bad of ['not an object', 42, null, undefined]) {
      await rejectsWithCode(() => mx.backup.decrypt(backup.privateKey, bad), 'BAD_INPUT', `backup.decrypt(key, ${String(bad)})`);
      await rejectsWithCode(() => mx.secretStorage.decrypt(bad, randomKey(), 'n'), 'BAD_INPUT', `secretStorage.decrypt(${String(bad)})`);
      await rejectsWithCode(
        () => mx.secretStorage.decryptCurve25519(bad, backup.privateKey),
        'BAD_INPUT',
        `decryptCurve25519(${String(bad)})`,
      );
    }
  });

  test('encrypted object with a missing field', async () => {
    const { key, name, encrypted } = await ssssFixture();
    const { mac, ...noMac } = encrypted;
    await rejectsWithCode(() => mx.secretStorage.decrypt(noMac, key, name), 'BAD_INPUT', 'secretStorage.decrypt without mac');
    const backup = await backupFixture();
    const { ephemeral, ...noEphemeral } = backup.encrypted;
    await rejectsWithCode(() => mx.backup.decrypt(backup.privateKey, noEphemeral), 'BAD_INPUT', 'backup.decrypt without ephemeral');
  });

  test('PBKDF2 parameters out of range', async () => {
    await rejectsWithCode(() => mx.passphrase.deriveKey('pw', 'salt', 0), 'BAD_INPUT', 'deriveKey(iterations 0)');
    await rejectsWithCode(() => mx.passphrase.deriveKey('pw', 'salt', -5), 'BAD_INPUT', 'deriveKey(iterations -5)');
    await rejectsWithCode(() => mx.passphrase.deriveKey('pw', 'salt', 10, 100), 'BAD_INPUT', 'deriveKey(bits 100)');
    await rejectsWithCode(() => mx.passphrase.deriveKey(42, 'salt', 10), 'BAD_INPUT', 'deriveKey(passphrase 42)');
  });

  test('canonicalJSON of values canonical JSON cannot represent', async () => {
    await rejectsWithCode(() => mx.canonicalJSON({ a: 1.5 }), 'BAD_INPUT', 'canonicalJSON(1.5)');
    await rejectsWithCode(() => mx.canonicalJSON({ a: 2 ** 53 }), 'BAD_INPUT', 'canonicalJSON(2^53)');
  });

  // JSON.stringify would turn these into null; canonical JSON has no
  // representation for them, so they should be refused like 1.5 is.
  test('canonicalJSON of NaN / Infinity', async () => {
    await rejectsWithCode(() => mx.canonicalJSON({ a: NaN }), 'BAD_INPUT', 'canonicalJSON(NaN)');
    await rejectsWithCode(() => mx.canonicalJSON([Infinity]), 'BAD_INPUT', 'canonicalJSON(Infinity)');
  });

  test('sessionData that is not an object', async () => {
    const { publicKey } = await mx.backup.createKey();
    await rejectsWithCode(() => mx.backup.encrypt(publicKey, 'a string'), 'BAD_INPUT', 'backup.encrypt(pub, string)');
  });
});

describe('BAD_BASE64', () => {
  test("secretStorage.decrypt with ciphertext / mac / iv '!!!'", async () => {
    const { key, name, encrypted } = await ssssFixture();
    for (const field of ['ciphertext', 'mac', 'iv']) {
      await rejectsWithCode(
        () => mx.secretStorage.decrypt({ ...encrypted, [field]: '!!!' }, key, name),
        'BAD_BASE64',
        `secretStorage.decrypt with ${field} '!!!'`,
      );
    }
  });

  test("backup.decrypt with ciphertext / mac / ephemeral '!!!'", async () => {
    const { privateKey, encrypted } = await backupFixture();
    for (const field of ['ciphertext', 'mac', 'ephemeral']) {
      await rejectsWithCode(
        () => mx.backup.decrypt(privateKey, { ...encrypted, [field]: '!!!' }),
        'BAD_BASE64',
        `backup.decrypt with ${field} '!!!'`,
      );
    }
  });

  test("encrypt to a public key '!!!'", async () => {
    await rejectsWithCode(() => mx.backup.encrypt('!!!', randomSessionData()), 'BAD_BASE64', "backup.encrypt('!!!')");
    await rejectsWithCode(() => mx.secretStorage.encryptCurve25519('s', '!!!'), 'BAD_BASE64', "encryptCurve25519(s, '!!!')");
  });
});

describe('BAD_MAC (secret storage)', () => {
  test('tampered mac', async () => {
    const { key, name, encrypted } = await ssssFixture();
    await rejectsWithCode(
      () => mx.secretStorage.decrypt({ ...encrypted, mac: tamperB64(encrypted.mac, 7) }, key, name),
      'BAD_MAC',
      'tampered mac',
    );
  });

  test('tampered ciphertext (the MAC covers it)', async () => {
    const { key, name, encrypted } = await ssssFixture();
    await rejectsWithCode(
      () => mx.secretStorage.decrypt({ ...encrypted, ciphertext: tamperB64(encrypted.ciphertext, 3) }, key, name),
      'BAD_MAC',
      'tampered ciphertext',
    );
  });

  test('wrong key and wrong name', async () => {
    const { key, name, encrypted } = await ssssFixture();
    await rejectsWithCode(() => mx.secretStorage.decrypt(encrypted, randomKey(), name), 'BAD_MAC', 'wrong key');
    await rejectsWithCode(() => mx.secretStorage.decrypt(encrypted, key, 'm.megolm_backup.v1'), 'BAD_MAC', 'wrong name');
  });
});

describe('BAD_RECOVERY_KEY', () => {
  const key = randomKey();
  const cases = {
    'bad parity': buildRecoveryKey(key, { parityDelta: 0x55 }),
    'bad prefix': buildRecoveryKey(key, { prefix: [0x8b, 0x00] }),
    'too long': buildRecoveryKey(key, { extra: [1, 2, 3] }),
    'too short': buildRecoveryKey(key.subarray(0, 16)),
    'not base58 (O)': `${buildRecoveryKey(key).slice(0, 6)}O${buildRecoveryKey(key).slice(7)}`,
    'not base58 (0)': `${buildRecoveryKey(key).slice(0, 10)}0${buildRecoveryKey(key).slice(11)}`,
    'empty': '',
  };
  for (const [what, text] of Object.entries(cases)) {
    test(what, async () => {
      await rejectsWithCode(() => mx.recoveryKey.decode(text), 'BAD_RECOVERY_KEY', `decode(${JSON.stringify(text)})`);
    });
  }
  test('the well-formed control case decodes', async () => {
    const text = buildRecoveryKey(key);
    const out = await mx.recoveryKey.decode(text);
    assert.equal(Buffer.from(out).toString('hex'), Buffer.from(key).toString('hex'));
  });
});

describe('WRONG_KEY (backup: MAC mismatch = wrong key)', () => {
  test('backup.decrypt with a different private key', async () => {
    const { encrypted } = await backupFixture();
    const other = await mx.backup.createKey();
    await rejectsWithCode(() => mx.backup.decrypt(other.privateKey, encrypted), 'WRONG_KEY', 'backup.decrypt(other key)');
  });

  test('backup.decrypt with a tampered mac', async () => {
    const { privateKey, encrypted } = await backupFixture();
    await rejectsWithCode(
      () => mx.backup.decrypt(privateKey, { ...encrypted, mac: tamperB64(encrypted.mac, 2) }),
      'WRONG_KEY',
      'backup.decrypt(tampered mac)',
    );
  });

  test('decryptCurve25519 with a different private key', async () => {
    const { publicKey } = await mx.backup.createKey();
    const other = await mx.backup.createKey();
    const enc = await mx.secretStorage.encryptCurve25519('secret', publicKey);
    await rejectsWithCode(() => mx.secretStorage.decryptCurve25519(enc, other.privateKey), 'WRONG_KEY', 'decryptCurve25519(other key)');
  });
});

describe('BAD_MESSAGE (backup: right key, undecodable plaintext)', () => {
  test('valid MAC, plaintext that is not JSON', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const enc = referencePkEncrypt(publicKey, 'This is a test');
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc), 'BAD_MESSAGE', 'backup.decrypt(non-JSON)');
    // the same message is fine as a curve25519 secret (string plaintext)
    assert.equal(await mx.secretStorage.decryptCurve25519(enc, privateKey), 'This is a test');
  });

  test('valid MAC, JSON that is not an object', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const enc = referencePkEncrypt(publicKey, '"just a string"');
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc), 'BAD_MESSAGE', 'backup.decrypt(JSON string)');
  });

  test('valid MAC, bad PKCS#7 padding', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    // 32 bytes ending in 0x00: a padding byte of 0 is never valid
    const block = new Uint8Array(32).fill(0x41);
    block[31] = 0;
    const enc = referencePkEncrypt(publicKey, block, { pad: false });
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc), 'BAD_MESSAGE', 'backup.decrypt(bad padding 0x00)');
    await rejectsWithCode(() => mx.secretStorage.decryptCurve25519(enc, privateKey), 'BAD_MESSAGE', 'decryptCurve25519(bad padding 0x00)');
    // padding byte 0x11 (> block size)
    block[31] = 0x11;
    const enc2 = referencePkEncrypt(publicKey, block, { pad: false });
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc2), 'BAD_MESSAGE', 'backup.decrypt(bad padding 0x11)');
    // inconsistent padding bytes: ... 0x41 0x03 0x03 (claims 3, only 2 match)
    block[30] = 3;
    block[31] = 3;
    const enc3 = referencePkEncrypt(publicKey, block, { pad: false });
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc3), 'BAD_MESSAGE', 'backup.decrypt(inconsistent padding)');
  });

  test('valid MAC, ciphertext not a multiple of the block size', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const enc = referencePkEncrypt(publicKey, JSON.stringify(randomSessionData()), { truncate: 5 });
    await rejectsWithCode(() => mx.backup.decrypt(privateKey, enc), 'BAD_MESSAGE', 'backup.decrypt(truncated ciphertext)');
  });

  test('control: the reference construction with proper padding decrypts', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const session = randomSessionData();
    assert.deepEqual(await mx.backup.decrypt(privateKey, referencePkEncrypt(publicKey, JSON.stringify(session))), session);
  });
});

describe('UNSUPPORTED_ALGORITHM', () => {
  test("checkKey with keyInfo.algorithm 'm.secret_storage.custom'", async () => {
    const { key, keyInfo } = await mx.secretStorage.createKey();
    assert.equal(await mx.secretStorage.checkKey(key, keyInfo), true, 'control');
    await rejectsWithCode(
      () => mx.secretStorage.checkKey(key, { ...keyInfo, algorithm: 'm.secret_storage.custom' }),
      'UNSUPPORTED_ALGORITHM',
      'checkKey(custom algorithm)',
    );
    await rejectsWithCode(
      () => mx.secretStorage.checkKey(key, { ...keyInfo, algorithm: 'org.example.secret_storage.v2' }),
      'UNSUPPORTED_ALGORITHM',
      'checkKey(unknown algorithm)',
    );
  });
});

describe('decryptMany: per-entry failures, good entries still decrypt', () => {
  test('wrong key -> WRONG_KEY, bad base64 -> BAD_BASE64, the rest decrypts', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const stranger = await mx.backup.createKey();
    const roomA = randomRoomId();
    const roomB = randomRoomId();
    const good = new Map();
    const body = { rooms: { [roomA]: { sessions: {} }, [roomB]: { sessions: {} } } };
    const put = (room, sessionId, sessionData) => {
      body.rooms[room].sessions[sessionId] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: sessionData };
    };
    for (const room of [roomA, roomB]) {
      for (let i = 0; i < 3; i++) {
        const sid = randomSessionId();
        const data = randomSessionData();
        put(room, sid, await mx.backup.encrypt(publicKey, data));
        good.set(`${room}|${sid}`, data);
      }
    }
    const wrongKeyId = randomSessionId();
    put(roomA, wrongKeyId, await mx.backup.encrypt(stranger.publicKey, randomSessionData()));
    const badB64Id = randomSessionId();
    const enc = await mx.backup.encrypt(publicKey, randomSessionData());
    put(roomB, badB64Id, { ...enc, ciphertext: '!!!' });

    const result = await mx.backup.decryptMany(privateKey, body, { onProgress: () => {} });

    const got = new Map(result.sessions.map((s) => [`${s.roomId}|${s.sessionId}`, s.sessionData]));
    assert.equal(got.size, good.size, 'every good entry decrypts');
    for (const [k, v] of good) assert.deepEqual(got.get(k), v, k);

    const failures = result.failures
      .map(({ roomId, sessionId, code }) => ({ roomId, sessionId, code }))
      .sort((a, b) => a.code.localeCompare(b.code));
    assert.deepEqual(failures, [
      { roomId: roomB, sessionId: badB64Id, code: 'BAD_BASE64' },
      { roomId: roomA, sessionId: wrongKeyId, code: 'WRONG_KEY' },
    ]);
  });

  test('an empty body decrypts to nothing', async () => {
    const { privateKey } = await mx.backup.createKey();
    const result = await mx.backup.decryptMany(privateKey, { rooms: {} });
    assert.deepEqual(result.sessions, []);
    assert.deepEqual(result.failures, []);
  });

  test('a body that is not an object -> BAD_INPUT', async () => {
    const { privateKey } = await mx.backup.createKey();
    await rejectsWithCode(() => mx.backup.decryptMany(privateKey, 'nope'), 'BAD_INPUT', 'decryptMany(key, string)');
  });
});

describe('decryptMany failure codes agree across code paths', () => {
  // decryptMany has a WebCrypto X25519 fast path (used in Node) and a pure Go
  // path (used without WebCrypto); both must report the same per-entry codes
  // as backup.decrypt does for the same entry.
  test('WebCrypto path, Go path and backup.decrypt give the same code per entry', async () => {
    const goMx = await loadMxGoOnly();
    const { privateKey, publicKey } = await mx.backup.createKey();
    const stranger = await mx.backup.createKey();
    const session = randomSessionData();
    const good = await mx.backup.encrypt(publicKey, session);
    const entries = {
      good: [good, 'ok'],
      wrongKey: [await mx.backup.encrypt(stranger.publicKey, session), 'WRONG_KEY'],
      badBase64Ciphertext: [{ ...good, ciphertext: '!!!' }, 'BAD_BASE64'],
      badBase64Ephemeral: [{ ...good, ephemeral: '!!!' }, 'BAD_BASE64'],
      badBase64Mac: [{ ...good, mac: '!!!' }, 'BAD_BASE64'],
      notJson: [referencePkEncrypt(publicKey, 'not json'), 'BAD_MESSAGE'],
      truncated: [referencePkEncrypt(publicKey, JSON.stringify(session), { truncate: 3 }), 'BAD_MESSAGE'],
      badPadding: [referencePkEncrypt(publicKey, new Uint8Array(16), { pad: false }), 'BAD_MESSAGE'],
      missingMac: [{ ephemeral: good.ephemeral, ciphertext: good.ciphertext }, 'BAD_INPUT'],
    };
    const body = { rooms: { '!room:example.org': { sessions: {} } } };
    for (const [sid, [data]] of Object.entries(entries)) {
      body.rooms['!room:example.org'].sessions[sid] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: data };
    }
    const codes = (result) =>
      Object.fromEntries([
        ...result.sessions.map((x) => [x.sessionId, 'ok']),
        ...result.failures.map((f) => [f.sessionId, f.code]),
      ]);
    const viaWebCrypto = codes(await mx.backup.decryptMany(privateKey, body));
    const viaGo = codes(await goMx.backup.decryptMany(privateKey, body));
    for (const [sid, [data, expected]] of Object.entries(entries)) {
      let single = 'ok';
      try {
        await mx.backup.decrypt(privateKey, data);
      } catch (e) {
        single = e.code;
      }
      assert.deepEqual(
        { sid, webCrypto: viaWebCrypto[sid], go: viaGo[sid], single },
        { sid, webCrypto: expected, go: expected, single: expected },
      );
    }
  });
});
