// Interop with matrix-js-sdk 37.5.0: recovery-key (base58) encoding,
// m.pbkdf2 passphrase derivation, m.secret_storage.v1.aes-hmac-sha2
// encryption and the SSSS key check — both directions.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { decodeRecoveryKey, encodeRecoveryKey } from 'matrix-js-sdk/lib/crypto-api/recovery-key.js';
import { deriveRecoveryKeyFromPassphrase } from 'matrix-js-sdk/lib/crypto-api/key-passphrase.js';
import encryptAESSecretStorageItem from 'matrix-js-sdk/lib/utils/encryptAESSecretStorageItem.js';
import decryptAESSecretStorageItem from 'matrix-js-sdk/lib/utils/decryptAESSecretStorageItem.js';
import {
  calculateKeyCheck,
  SECRET_STORAGE_ALGORITHM_V1_AES,
  ServerSideSecretStorageImpl,
} from 'matrix-js-sdk/lib/secret-storage.js';

import { loadMx, loadMxGoOnly } from './helpers/peers.mjs';
import {
  b64,
  randomAlnum,
  randomBytes,
  randomKey,
  randomSecret,
  randomSecretName,
  randomString,
  unb64,
} from './helpers/random.mjs';
import { assertBytes, assertSameText, assertUnpaddedB64, buildRecoveryKey, hex, rejectsWithCode } from './helpers/util.mjs';

const N = 200;
const AES = 'm.secret_storage.v1.aes-hmac-sha2';

// js-sdk's key-check lives on ServerSideSecretStorageImpl; checkKey does not
// touch account data, so a stub adapter is enough.
const jsSecretStorage = new ServerSideSecretStorageImpl(
  {
    getAccountDataFromServer: async () => null,
    setAccountData: async () => ({}),
    addListener() {},
    removeListener() {},
  },
  {},
);

let mx;
before(async () => {
  mx = await loadMx();
});

describe('recovery key (base58) vs js-sdk', () => {
  test(`ours encode -> js-sdk decodeRecoveryKey (${N} random keys), identical text`, async () => {
    for (let i = 0; i < N; i++) {
      const key = randomKey();
      const text = await mx.recoveryKey.encode(key);
      assert.equal(typeof text, 'string');
      assert.match(text, /^([1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{4}$/, `format of ${text}`);
      assert.equal(text, encodeRecoveryKey(key), `encoding of ${hex(key)}`);
      assert.equal(hex(decodeRecoveryKey(text)), hex(key), `js-sdk decode of ${text}`);
    }
  });

  test(`js-sdk encodeRecoveryKey -> ours decode (${N} random keys, spaced and unspaced)`, async () => {
    for (let i = 0; i < N; i++) {
      const key = randomKey();
      const text = encodeRecoveryKey(key);
      assertBytes(await mx.recoveryKey.decode(text), key, `decode of ${text}`);
      assertBytes(await mx.recoveryKey.decode(text.replace(/ /g, '')), key, `decode of unspaced ${text}`);
    }
  });

  test('edge keys (all-zero, all-0xff) encode identically and decode back', async () => {
    for (const key of [new Uint8Array(32), new Uint8Array(32).fill(0xff), Uint8Array.from({ length: 32 }, (_, i) => i)]) {
      const ours = await mx.recoveryKey.encode(key);
      assert.equal(ours, encodeRecoveryKey(key));
      assertBytes(await mx.recoveryKey.decode(ours), key);
    }
  });

  test('keys that js-sdk rejects are rejected by ours with BAD_RECOVERY_KEY', async () => {
    for (let i = 0; i < 10; i++) {
      const key = randomKey();
      assert.equal(buildRecoveryKey(key), encodeRecoveryKey(key), 'reference builder matches js-sdk');
      const bad = [
        buildRecoveryKey(key, { parityDelta: 1 + i }), // parity
        buildRecoveryKey(key, { prefix: [0x8b, 0x02] }), // prefix
        buildRecoveryKey(key, { prefix: [0x8c, 0x01] }), // prefix
        buildRecoveryKey(key, { extra: [i] }), // 36 bytes, parity fine
        buildRecoveryKey(key.subarray(0, 31)), // 34 bytes, parity fine
      ];
      for (const text of bad) {
        assert.throws(() => decodeRecoveryKey(text), undefined, `js-sdk accepted ${text}`);
        await rejectsWithCode(() => mx.recoveryKey.decode(text), 'BAD_RECOVERY_KEY', `decode(${text})`);
      }
    }
  });
});

describe('m.pbkdf2 passphrase derivation vs js-sdk deriveRecoveryKeyFromPassphrase', () => {
  test(`${N} random passphrases/salts, small iteration counts, byte-for-byte equal`, async () => {
    for (let i = 0; i < N; i++) {
      const passphrase = randomString(40);
      const salt = i % 2 ? randomAlnum(32) : randomString(32);
      const iterations = 1 + (i % 16);
      const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, salt, iterations);
      const ours = await mx.passphrase.deriveKey(passphrase, salt, iterations);
      assertBytes(ours, theirs, `derive(${JSON.stringify(passphrase)}, ${JSON.stringify(salt)}, ${iterations})`);
      assert.equal(ours.length, 32);
    }
  });

  test('explicit bits (256, 512, 128) match js-sdk numBits', async () => {
    for (const bits of [256, 512, 128]) {
      for (let i = 0; i < 5; i++) {
        const passphrase = randomString(20);
        const salt = randomAlnum(32);
        const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, salt, 7, bits);
        const ours = await mx.passphrase.deriveKey(passphrase, salt, 7, bits);
        assert.equal(ours.length, bits / 8);
        assertBytes(ours, theirs, `bits=${bits}`);
      }
    }
  });

  test('500000 iterations (the usual real-world count) once', async () => {
    const passphrase = `correct horse ${randomString(8)} battery staple`;
    const salt = randomAlnum(32);
    const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, salt, 500000);
    const ours = await mx.passphrase.deriveKey(passphrase, salt, 500000);
    assertBytes(ours, theirs, 'PBKDF2 at 500000 iterations');
  });
});

// In Node the loader derives keys with WebCrypto (the same primitive js-sdk
// uses); these run the Go PBKDF2 instead (init({ webCrypto: false })).
describe('m.pbkdf2 Go implementation (webCrypto: false) vs js-sdk', () => {
  let goMx;
  before(async () => {
    goMx = await loadMxGoOnly();
  });

  test('100 random passphrases/salts, small iteration counts, bits 256/512', async () => {
    for (let i = 0; i < 100; i++) {
      const passphrase = randomString(40);
      const salt = i % 2 ? randomAlnum(32) : randomString(32);
      const iterations = 1 + (i % 16);
      const bits = i % 10 === 9 ? 512 : 256;
      const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, salt, iterations, bits);
      const ours = await goMx.passphrase.deriveKey(passphrase, salt, iterations, bits);
      assertBytes(ours, theirs, `Go derive(${JSON.stringify(passphrase)}, ${JSON.stringify(salt)}, ${iterations}, ${bits})`);
    }
  });

  test('500000 iterations once', async () => {
    const passphrase = `Go ${randomString(12)}`;
    const salt = randomAlnum(32);
    const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, salt, 500000);
    assertBytes(await goMx.passphrase.deriveKey(passphrase, salt, 500000), theirs, 'Go PBKDF2 at 500000 iterations');
  });

  test('createKey({ passphrase }) without WebCrypto matches js-sdk derivation and key check', async () => {
    for (let i = 0; i < 5; i++) {
      const passphrase = randomString(20);
      const { key, keyInfo } = await goMx.secretStorage.createKey({ passphrase, iterations: 11 });
      const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, keyInfo.passphrase.salt, 11);
      assertBytes(key, theirs);
      assert.equal(await jsSecretStorage.checkKey(theirs, keyInfo), true);
    }
  });
});

describe('SSSS m.secret_storage.v1.aes-hmac-sha2 vs js-sdk', () => {
  test(`ours encrypt -> js-sdk decryptAESSecretStorageItem (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const key = randomKey();
      const secret = randomSecret();
      const name = randomSecretName();
      const enc = await mx.secretStorage.encrypt(secret, key, name);
      assertUnpaddedB64(enc.iv, 16, 'iv');
      assertUnpaddedB64(enc.mac, 32, 'mac');
      assertUnpaddedB64(enc.ciphertext, Buffer.byteLength(secret, 'utf8'), 'ciphertext');
      assert.equal(unb64(enc.iv)[8] & 0x80, 0, 'bit 63 of the IV must be clear');
      const plain = await decryptAESSecretStorageItem(enc, key, name);
      assert.equal(plain, secret, `secret under name ${JSON.stringify(name)}`);
    }
  });

  test(`js-sdk encryptAESSecretStorageItem (padded base64) -> ours decrypt (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const key = randomKey();
      const secret = randomSecret();
      const name = randomSecretName();
      const enc = await encryptAESSecretStorageItem(secret, key, name);
      assert.equal(await mx.secretStorage.decrypt(enc, key, name), secret, `secret under name ${JSON.stringify(name)}`);
    }
  });

  test('secrets with U+0000, long secrets and the empty secret name round-trip both ways', async () => {
    const secrets = [
      'a\u0000b\u0000',
      randomString(2000, { minLen: 1000 }),
      randomString(100, { nul: true }),
    ];
    for (const secret of secrets) {
      for (const name of ['', 'm.cross_signing.master']) {
        const key = randomKey();
        const ours = await mx.secretStorage.encrypt(secret, key, name);
        assert.equal(await decryptAESSecretStorageItem(ours, key, name), secret);
        const theirs = await encryptAESSecretStorageItem(secret, key, name);
        assert.equal(await mx.secretStorage.decrypt(theirs, key, name), secret);
      }
    }
  });

  // js-sdk's own decryptAESSecretStorageItem drops a leading U+FEFF (it uses
  // a default TextDecoder), so only our decrypt is asserted here.
  test('a secret beginning with U+FEFF (BOM) keeps it: js-sdk encrypt -> ours decrypt, ours -> ours', async () => {
    for (const secret of ['\uFEFF', '\uFEFFabc', '\uFEFF\uFEFFx', `\uFEFF${b64(randomKey())}`]) {
      const key = randomKey();
      const theirs = await encryptAESSecretStorageItem(secret, key, 'm.cross_signing.master');
      assertSameText(await mx.secretStorage.decrypt(theirs, key, 'm.cross_signing.master'), secret, 'js-sdk -> ours');
      const ours = await mx.secretStorage.encrypt(secret, key, 'n');
      assert.equal(Buffer.from(unb64(ours.ciphertext)).length, Buffer.byteLength(secret, 'utf8'), 'all UTF-8 bytes encrypted');
      assertSameText(await mx.secretStorage.decrypt(ours, key, 'n'), secret, 'ours -> ours');
    }
  });

  test('same key, iv and name give byte-identical output (ciphertext and mac) to js-sdk', async () => {
    for (let i = 0; i < 50; i++) {
      const key = randomKey();
      const secret = randomSecret();
      const name = randomSecretName();
      const ours = await mx.secretStorage.encrypt(secret, key, name);
      const theirs = await encryptAESSecretStorageItem(secret, key, name, ours.iv);
      assert.equal(ours.ciphertext, b64(unb64(theirs.ciphertext)));
      assert.equal(ours.mac, b64(unb64(theirs.mac)));
    }
  });

  test('secret encrypted by js-sdk under one name does not decrypt under another (BAD_MAC)', async () => {
    const key = randomKey();
    const enc = await encryptAESSecretStorageItem(b64(randomKey()), key, 'm.cross_signing.master');
    await rejectsWithCode(
      () => mx.secretStorage.decrypt(enc, key, 'm.cross_signing.self_signing'),
      'BAD_MAC',
      'decrypt under wrong name',
    );
  });
});

describe('SSSS key check vs js-sdk', () => {
  test(`our createKey() keyInfo is accepted by js-sdk checkKey (${N} keys)`, async () => {
    for (let i = 0; i < N; i++) {
      const created = await mx.secretStorage.createKey(i % 2 ? { name: `key ${i} ${randomString(8)}` } : {});
      const { keyId, key, keyInfo, recoveryKey } = created;
      assert.equal(typeof keyId, 'string');
      assert.ok(keyId.length > 0, 'keyId must be non-empty');
      assert.equal(key.length, 32);
      assert.equal(keyInfo.algorithm, SECRET_STORAGE_ALGORITHM_V1_AES);
      assertUnpaddedB64(keyInfo.iv, 16, 'keyInfo.iv');
      assertUnpaddedB64(keyInfo.mac, 32, 'keyInfo.mac');
      assert.equal(keyInfo.passphrase, undefined, 'no passphrase block for a random key');
      if (i % 2) assert.ok(keyInfo.name.startsWith(`key ${i} `), 'name is carried into keyInfo');
      assert.equal(await jsSecretStorage.checkKey(key, keyInfo), true, 'js-sdk checkKey');
      const check = await calculateKeyCheck(key, keyInfo.iv);
      assert.equal(b64(unb64(check.mac)), keyInfo.mac, 'js-sdk calculateKeyCheck mac');
      assert.equal(hex(decodeRecoveryKey(recoveryKey)), hex(key), 'recoveryKey decodes (js-sdk) to key');
      assert.equal(await jsSecretStorage.checkKey(randomKey(), keyInfo), false, 'js-sdk rejects another key');
    }
  });

  test('createKey({ passphrase, iterations }) derives the key the way js-sdk does', async () => {
    for (let i = 0; i < 20; i++) {
      const passphrase = randomString(30);
      const iterations = 3 + i;
      const { key, keyInfo } = await mx.secretStorage.createKey({ passphrase, iterations });
      assert.equal(keyInfo.passphrase.algorithm, 'm.pbkdf2');
      assert.equal(keyInfo.passphrase.iterations, iterations);
      assert.equal(keyInfo.passphrase.bits, 256);
      assert.equal(typeof keyInfo.passphrase.salt, 'string');
      assert.ok(keyInfo.passphrase.salt.length >= 16, 'salt should be reasonably long');
      const theirs = await deriveRecoveryKeyFromPassphrase(passphrase, keyInfo.passphrase.salt, iterations);
      assertBytes(key, theirs, 'key derived from the passphrase');
      assert.equal(await jsSecretStorage.checkKey(theirs, keyInfo), true);
    }
  });

  test(`js-sdk calculateKeyCheck -> our checkKey (${N} keys; right key true, wrong key false)`, async () => {
    for (let i = 0; i < N; i++) {
      const key = randomKey();
      const { iv, mac } = await calculateKeyCheck(key);
      const keyInfo = { algorithm: AES, iv, mac, name: 'js' };
      assert.equal(await mx.secretStorage.checkKey(key, keyInfo), true, `checkKey right key (iv ${iv})`);
      assert.equal(await mx.secretStorage.checkKey(randomKey(), keyInfo), false, 'checkKey wrong key');
      // and with unpadded values as other clients write them
      const unpadded = { algorithm: AES, iv: b64(unb64(iv)), mac: b64(unb64(mac)) };
      assert.equal(await mx.secretStorage.checkKey(key, unpadded), true, 'checkKey with unpadded iv/mac');
    }
  });

  test('a key check made with a one-bit-different key is rejected', async () => {
    const key = randomKey();
    const { iv, mac } = await calculateKeyCheck(key);
    const other = Uint8Array.from(key);
    other[31] ^= 1;
    assert.equal(await mx.secretStorage.checkKey(other, { algorithm: AES, iv, mac }), false);
  });

  test('encrypting with our key and js-sdk key check agree for the same random IV', async () => {
    for (let i = 0; i < 20; i++) {
      const key = randomKey();
      const ivBytes = randomBytes(16);
      ivBytes[8] &= 0x7f;
      const iv = b64(ivBytes);
      const { mac } = await calculateKeyCheck(key, iv);
      assert.equal(await mx.secretStorage.checkKey(key, { algorithm: AES, iv, mac }), true);
    }
  });
});
