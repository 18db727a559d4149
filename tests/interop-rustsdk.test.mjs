// Interop with @matrix-org/matrix-sdk-crypto-wasm 18.9.0 (matrix-rust-sdk /
// vodozemac): BackupDecryptionKey (decryptV1, megolmV1PublicKey) and
// vodozemac's PkEncryption/PkDecryption.
//
// Note: this package has no base58 / recovery-key API (no toBase58 or
// fromBase58 on BackupDecryptionKey in 18.9.0), so recovery-key interop is
// covered by interop-jssdk.test.mjs only; here keys travel as base64.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx, loadRustSdk } from './helpers/peers.mjs';
import {
  b64,
  randomInt,
  randomKey,
  randomRoomId,
  randomSecret,
  randomSessionData,
  randomSessionDataWithExtras,
  randomSessionId,
  unb64,
} from './helpers/random.mjs';
import { assertBytes, assertSameText, assertUnpaddedB64, rejectsWithCode } from './helpers/util.mjs';

const N = 200;

let mx;
let rs;
before(async () => {
  [mx, rs] = await Promise.all([loadMx(), loadRustSdk()]);
});

/** vodozemac PkEncryption of a string to a base64 public key, as {ephemeral, ciphertext, mac}. */
function rustEncrypt(publicKeyB64, plaintext) {
  const pub = new rs.Curve25519PublicKey(publicKeyB64);
  const enc = rs.PkEncryption.fromKey(pub);
  const msg = enc.encryptString(plaintext);
  const out = msg.toBase64();
  const result = { ephemeral: out.ephemeralKey, ciphertext: out.ciphertext, mac: out.mac };
  for (const o of [out, msg, enc]) o.free();
  return result;
}

/** vodozemac PkDecryption of {ephemeral, ciphertext, mac} with raw private key bytes. */
function rustDecryptString(privateKey, { ephemeral, ciphertext, mac }) {
  const dec = rs.PkDecryption.fromKey(rs.Curve25519SecretKey.fromUint8Array(privateKey));
  const msg = rs.PkMessage.fromBase64(new rs.Base64EncodedPkMessage(ciphertext, mac, ephemeral));
  try {
    return dec.decryptString(msg);
  } finally {
    msg.free();
    dec.free();
  }
}

describe('backup keys vs matrix-sdk-crypto-wasm BackupDecryptionKey', () => {
  test(`our backup.createKey() -> BackupDecryptionKey.fromBase64 gives the same public key (${N})`, async () => {
    for (let i = 0; i < N; i++) {
      const { privateKey, publicKey } = await mx.backup.createKey();
      const key = rs.BackupDecryptionKey.fromBase64(b64(privateKey));
      try {
        assert.equal(key.megolmV1PublicKey.publicKeyBase64, publicKey);
        assert.equal(key.megolmV1PublicKey.algorithm, 'm.megolm_backup.v1.curve25519-aes-sha2');
        assertBytes(unb64(key.toBase64()), privateKey);
      } finally {
        key.free();
      }
    }
  });

  test(`BackupDecryptionKey.createRandomKey() -> our backup.publicKey gives the same public key (${N})`, async () => {
    for (let i = 0; i < N; i++) {
      const key = rs.BackupDecryptionKey.createRandomKey();
      try {
        const priv = unb64(key.toBase64());
        assert.equal(priv.length, 32);
        assert.equal(await mx.backup.publicKey(priv), key.megolmV1PublicKey.publicKeyBase64);
      } finally {
        key.free();
      }
    }
  });
});

describe('backup session_data vs matrix-sdk-crypto-wasm', () => {
  test(`ours backup.encrypt -> BackupDecryptionKey.decryptV1 (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const key = rs.BackupDecryptionKey.createRandomKey();
      try {
        const session = i % 4 === 0 ? randomSessionDataWithExtras() : randomSessionData();
        const enc = await mx.backup.encrypt(key.megolmV1PublicKey.publicKeyBase64, session);
        assertUnpaddedB64(enc.ephemeral, 32, 'ephemeral');
        assertUnpaddedB64(enc.mac, 8, 'mac');
        const plaintext = key.decryptV1(enc.ephemeral, enc.mac, enc.ciphertext);
        assert.deepEqual(JSON.parse(plaintext), session);
      } finally {
        key.free();
      }
    }
  });

  test(`vodozemac PkEncryption -> ours backup.decrypt (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const { privateKey, publicKey } = await mx.backup.createKey();
      const session = i % 4 === 0 ? randomSessionDataWithExtras() : randomSessionData();
      const enc = rustEncrypt(publicKey, JSON.stringify(session));
      assert.deepEqual(await mx.backup.decrypt(privateKey, enc), session);
    }
  });

  test('rust decryptV1 rejects our message for another key; ours rejects vodozemac message for another key', async () => {
    const key = rs.BackupDecryptionKey.createRandomKey();
    const other = rs.BackupDecryptionKey.createRandomKey();
    try {
      const session = randomSessionData();
      const enc = await mx.backup.encrypt(key.megolmV1PublicKey.publicKeyBase64, session);
      assert.throws(() => other.decryptV1(enc.ephemeral, enc.mac, enc.ciphertext));

      const theirs = rustEncrypt(key.megolmV1PublicKey.publicKeyBase64, JSON.stringify(session));
      // A MAC mismatch in this algorithm only proves the key is wrong (the MAC
      // covers the empty string, docs/backup.md §3), hence WRONG_KEY.
      await rejectsWithCode(
        () => mx.backup.decrypt(unb64(other.toBase64()), theirs),
        'WRONG_KEY',
        'backup.decrypt with another key',
      );
    } finally {
      key.free();
      other.free();
    }
  });

  test('decryptMany over a vodozemac-encrypted room_keys body (3 rooms x 40 sessions)', async () => {
    const { privateKey, publicKey } = await mx.backup.createKey();
    const rooms = {};
    const expected = new Map();
    for (let r = 0; r < 3; r++) {
      const roomId = randomRoomId();
      rooms[roomId] = { sessions: {} };
      for (let s = 0; s < 40; s++) {
        const sessionId = randomSessionId();
        const data = randomSessionData();
        rooms[roomId].sessions[sessionId] = {
          first_message_index: randomInt(100),
          forwarded_count: 0,
          is_verified: false,
          session_data: rustEncrypt(publicKey, JSON.stringify(data)),
        };
        expected.set(`${roomId}|${sessionId}`, data);
      }
    }
    const result = await mx.backup.decryptMany(privateKey, { rooms });
    assert.deepEqual(result.failures, []);
    const got = new Map(result.sessions.map((s) => [`${s.roomId}|${s.sessionId}`, s.sessionData]));
    assert.equal(got.size, expected.size);
    for (const [k, v] of expected) assert.deepEqual(got.get(k), v, k);
  });
});

describe('m.secret_storage.v1.curve25519-aes-sha2 vs vodozemac PkEncryption/PkDecryption', () => {
  test(`ours encryptCurve25519 -> vodozemac PkDecryption.decryptString (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const { privateKey, publicKey } = await mx.backup.createKey();
      const secret = randomSecret();
      const enc = await mx.secretStorage.encryptCurve25519(secret, publicKey);
      assert.equal(rustDecryptString(privateKey, enc), secret);
    }
  });

  test(`vodozemac PkEncryption.encryptString -> ours decryptCurve25519 (${N} round trips)`, async () => {
    for (let i = 0; i < N; i++) {
      const dec = new rs.PkDecryption();
      const sk = dec.secretKey();
      const pk = dec.publicKey();
      const priv = sk.toUint8Array();
      const publicKey = pk.toBase64();
      for (const o of [pk, sk, dec]) o.free();
      assert.equal(await mx.backup.publicKey(priv), publicKey, 'public key derivation agrees');
      const secret = randomSecret();
      const enc = rustEncrypt(publicKey, secret);
      assert.equal(await mx.secretStorage.decryptCurve25519(enc, priv), secret);
    }
  });
});

describe('strings beginning with U+FEFF (BOM) vs vodozemac (which keeps it)', () => {
  test('ours encryptCurve25519 -> vodozemac, and vodozemac -> ours decryptCurve25519', async () => {
    for (const secret of ['\uFEFF', '\uFEFFabc', `\uFEFF${b64(randomKey())}`]) {
      const { privateKey, publicKey } = await mx.backup.createKey();
      const ours = await mx.secretStorage.encryptCurve25519(secret, publicKey);
      assertSameText(rustDecryptString(privateKey, ours), secret, 'ours -> vodozemac');
      const theirs = rustEncrypt(publicKey, secret);
      assertSameText(await mx.secretStorage.decryptCurve25519(theirs, privateKey), secret, 'vodozemac -> ours');
    }
  });
});
