// Fixed test vectors (testdata/vectors/*.json, listed in docs/vectors.md), run
// through the JS API. Section numbers refer to docs/vectors.md; each vector
// names its source in its file.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx } from './helpers/peers.mjs';
import { b64, unb64 } from './helpers/random.mjs';
import { assertBytes, ed25519PublicFromSeed, hex, rejectsWithCode } from './helpers/util.mjs';
import { backupVector, loadVectors, x25519Key } from './helpers/vectors.mjs';

const AES = 'm.secret_storage.v1.aes-hmac-sha2';
const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

// §1.1 — Alice's X25519 key, reused as the backup key in §5.1–§5.3
// (testdata/vectors/x25519.json, backup.json).
const BACKUP_VECTORS = loadVectors('backup.json');
const ALICE = x25519Key('rfc7748_alice');
const ALICE_PRIVATE = ALICE.private;
const ALICE_PUBLIC = ALICE.publicB64;
const ALICE_RECOVERY_KEY = BACKUP_VECTORS.recovery_keys.find((k) => k.key === 'rfc7748_alice').text;

let mx;
before(async () => {
  mx = await loadMx();
});

describe('§5.1 libolm PkEncryption vector', () => {
  const encrypted = BACKUP_VECTORS.pk_encryption.message;

  test('public key of the backup key', async () => {
    assert.equal(await mx.backup.publicKey(ALICE_PRIVATE), ALICE_PUBLIC);
  });

  test('decrypts to "This is a test" (curve25519-aes-sha2, string plaintext)', async () => {
    assert.equal(await mx.secretStorage.decryptCurve25519(encrypted, ALICE_PRIVATE), 'This is a test');
  });

  test('the same message with padded base64 fields', async () => {
    const padded = Object.fromEntries(Object.entries(encrypted).map(([k, v]) => [k, Buffer.from(unb64(v)).toString('base64')]));
    assert.equal(await mx.secretStorage.decryptCurve25519(padded, ALICE_PRIVATE), 'This is a test');
  });
});

describe('§5.2 js-sdk recovery key and backed-up session', () => {
  test('recovery key decodes to Alice\'s key, with or without spaces', async () => {
    assertBytes(await mx.recoveryKey.decode(ALICE_RECOVERY_KEY), ALICE_PRIVATE);
    assertBytes(await mx.recoveryKey.decode(ALICE_RECOVERY_KEY.replace(/ /g, '')), ALICE_PRIVATE);
  });

  test('Alice\'s key encodes to exactly the recovery key', async () => {
    assert.equal(await mx.recoveryKey.encode(ALICE_PRIVATE), ALICE_RECOVERY_KEY);
  });

  test('CURVE25519_KEY_BACKUP_DATA decrypts to the (legacy-spelled) session', async () => {
    const sessionData = backupVector('jssdk_backup_spec').session_data;
    const key = await mx.recoveryKey.decode(ALICE_RECOVERY_KEY);
    const out = await mx.backup.decrypt(key, sessionData);
    assert.equal(out.algorithm, 'm.megolm.v1.aes-sha2');
    assert.equal(out.sender_key, 'SENDER_CURVE25519');
    assert.deepEqual(out.sender_claimed_keys, { ed25519: 'SENDER_ED25519' });
    assert.equal(out.session_key, backupVector('jssdk_backup_spec').plaintext.session_key);
    // Plaintext says forwardingCurve25519KeyChain; accept it as written or normalised.
    assert.deepEqual(out.forwardingCurve25519KeyChain ?? out.forwarding_curve25519_key_chain, []);
  });
});

// §3.3 MEGOLM_SESSION_DATA — the plaintext of §5.3.
const MEGOLM_SESSION_DATA = backupVector('jssdk_generated').plaintext;
const BACKUP_53 = backupVector('jssdk_generated').session_data;

describe('§5.3 js-sdk generated backup data', () => {
  test('base64 backup key is Alice\'s key and its base58 form is the §5.2 recovery key', async () => {
    const key = unb64(BACKUP_VECTORS.key_base64.find((k) => k.key === 'rfc7748_alice').base64);
    assertBytes(key, ALICE_PRIVATE);
    assert.equal(await mx.recoveryKey.encode(key), ALICE_RECOVERY_KEY);
  });

  test('CURVE25519_KEY_BACKUP_DATA decrypts to MEGOLM_SESSION_DATA', async () => {
    assert.deepEqual(await mx.backup.decrypt(ALICE_PRIVATE, BACKUP_53), MEGOLM_SESSION_DATA);
  });

  test('decryptMany over a GET /room_keys/keys body holding the vector', async () => {
    const body = {
      rooms: {
        '!room:id': {
          sessions: {
            [MEGOLM_SESSION_DATA.session_id]: {
              first_message_index: 1,
              forwarded_count: 0,
              is_verified: false,
              session_data: BACKUP_53,
            },
          },
        },
      },
    };
    const result = await mx.backup.decryptMany(ALICE_PRIVATE, body);
    assert.deepEqual(result.failures, []);
    assert.equal(result.sessions.length, 1);
    assert.equal(result.sessions[0].roomId, '!room:id');
    assert.equal(result.sessions[0].sessionId, MEGOLM_SESSION_DATA.session_id);
    assert.deepEqual(result.sessions[0].sessionData, MEGOLM_SESSION_DATA);
  });
});

describe('§5.4 / §5.5 other implementations\' backup data', () => {
  test('mautrix/go case 1 decrypts to the expected session', async () => {
    const v = backupVector('mautrix_case1');
    const out = await mx.backup.decrypt(v.privateKey, v.session_data);
    assert.deepEqual(out, v.plaintext);
  });

  test('matrix-rust-sdk decryption.rs vector decrypts to a megolm session object', async () => {
    const v = backupVector('rust_sdk');
    const out = await mx.backup.decrypt(v.privateKey, v.session_data);
    assert.equal(out.algorithm, 'm.megolm.v1.aes-sha2');
    assert.equal(out.sender_key, 'wREG/hBdSspoqM9xPCEXd/4YwjpBFXlsobRkyDTo/Q8');
    assert.ok(out.session_key.startsWith('AQAAAABwCEYsl5Br'));
    assert.deepEqual(out.forwarding_curve25519_key_chain, []);
  });
});

// §6 from testdata/vectors/ssss.json.
const SSSS = loadVectors('ssss.json');
// §6.1 mautrix/go SSSS key 1 and key 2
const KEY1_INFO = SSSS.mautrix_keys.key1.key_info;
const KEY1_RECOVERY = SSSS.mautrix_keys.key1.recovery_key;
const KEY2_RECOVERY = SSSS.mautrix_keys.key2.recovery_key;
const KEY2_INFO = SSSS.mautrix_keys.key2.key_info;
const KEY1_MASTER = SSSS.mautrix_keys.master_secret.encrypted;

describe('§6.1 mautrix/go SSSS keys', () => {
  test('passphrase "correct horse battery staple" (500000 iterations) gives key 1', async () => {
    const { salt, iterations } = KEY1_INFO.passphrase;
    const key = await mx.passphrase.deriveKey(SSSS.mautrix_keys.key1.passphrase_text, salt, iterations);
    assert.equal(await mx.recoveryKey.encode(key), KEY1_RECOVERY);
    assert.equal(await mx.secretStorage.checkKey(key, KEY1_INFO), true);
  });

  test('key 1 (from its recovery key) passes its key check; key 2 does not', async () => {
    const key1 = await mx.recoveryKey.decode(KEY1_RECOVERY);
    const key2 = await mx.recoveryKey.decode(KEY2_RECOVERY);
    assert.equal(await mx.secretStorage.checkKey(key1, KEY1_INFO), true);
    assert.equal(await mx.secretStorage.checkKey(key2, KEY1_INFO), false);
  });

  test('key 2 passes its own key check (padded base64 iv/mac)', async () => {
    const key2 = await mx.recoveryKey.decode(KEY2_RECOVERY);
    assert.equal(await mx.secretStorage.checkKey(key2, KEY2_INFO), true);
  });

  test('a key description without iv/mac cannot be checked and is assumed correct', async () => {
    const key2 = await mx.recoveryKey.decode(KEY2_RECOVERY);
    assert.equal(await mx.secretStorage.checkKey(key2, { algorithm: AES }), true);
  });

  test('a mangled mac in the key description fails the check', async () => {
    const key2 = await mx.recoveryKey.decode(KEY2_RECOVERY);
    const mac = b64(unb64(KEY2_INFO.mac).map((x, i) => (i === 5 ? x ^ 0x40 : x)));
    assert.equal(await mx.secretStorage.checkKey(key2, { ...KEY2_INFO, mac }), false);
  });

  test('m.cross_signing.master decrypts to base64 of the expected seed', async () => {
    const key1 = await mx.recoveryKey.decode(KEY1_RECOVERY);
    const secret = await mx.secretStorage.decrypt(KEY1_MASTER, key1, 'm.cross_signing.master');
    const seed = SSSS.mautrix_keys.master_secret.seed;
    assert.equal(secret, Buffer.from(seed, 'hex').toString('base64')); // padded, as Element wrote it
    assert.equal(hex(unb64(secret)), seed);
  });

  test('the same item under the name m.cross_signing.self_signing fails with BAD_MAC', async () => {
    const key1 = await mx.recoveryKey.decode(KEY1_RECOVERY);
    await rejectsWithCode(
      () => mx.secretStorage.decrypt(KEY1_MASTER, key1, 'm.cross_signing.self_signing'),
      'BAD_MAC',
      'decrypt under the wrong name',
    );
  });
});

describe('§6.2 mautrix/go utils', () => {
  test('recovery key <-> base64 key, both directions', async () => {
    const text = SSSS.mautrix_utils.recovery_key;
    const key = unb64(SSSS.mautrix_utils.key_b64);
    assertBytes(await mx.recoveryKey.decode(text), key);
    assert.equal(await mx.recoveryKey.encode(key), text);
  });

  test('m.cross_signing.master item decrypts to the expected secret', async () => {
    const v = SSSS.mautrix_utils.secret;
    const key = await mx.recoveryKey.decode(v.recovery_key);
    const secret = await mx.secretStorage.decrypt(v.encrypted, key, v.name);
    assert.equal(secret, v.plaintext_text);
  });
});

// §6.3 / §6.4 matrix-rust-sdk
const RUST_KEY_TEXT = SSSS.rust_sdk.recovery_key.text;
const RUST_KEY_INFO = SSSS.rust_sdk.recovery_key.key_info;

describe('§6.3 matrix-rust-sdk secret_storage.rs', () => {
  test('passphrase key (10 iterations, no bits field) passes the key check', async () => {
    const { key_info: info, passphrase_text: passphrase } = SSSS.rust_sdk.passphrase_key;
    assert.equal(info.passphrase.bits, undefined);
    const key = await mx.passphrase.deriveKey(passphrase, info.passphrase.salt, info.passphrase.iterations);
    assert.equal(await mx.secretStorage.checkKey(key, info), true);
    const wrong = await mx.passphrase.deriveKey(passphrase.replace('everybody', 'nobody'), info.passphrase.salt, info.passphrase.iterations);
    assert.equal(await mx.secretStorage.checkKey(wrong, info), false);
  });

  test('base58 key passes its key check', async () => {
    const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
    assert.equal(await mx.secretStorage.checkKey(key, RUST_KEY_INFO), true);
  });

  test('whitespace anywhere in a recovery key is ignored', async () => {
    const { text, key } = SSSS.rust_sdk.whitespace;
    const expected = fromHex(key);
    const bare = text.replace(/\s+/g, '');
    assertBytes(await mx.recoveryKey.decode(text), expected);
    assertBytes(await mx.recoveryKey.decode(bare), expected);
    const groups = bare.match(/.{4}/g);
    assertBytes(await mx.recoveryKey.decode(`\t${groups.slice(0, 2).join(' ')}\n${groups.slice(2, 4).join(' ')}\r\n${groups.slice(4).join(' ')}\n`), expected);
  });

  for (const [what, text] of [
    ...SSSS.rust_sdk.bad_recovery_keys.map((b) => [`${b.error} error`, b.text]),
    ['§5.5 last character changed', ALICE_RECOVERY_KEY.slice(0, -1) + 'e'],
    ['empty string', ''],
    ['whitespace only', '   '],
  ]) {
    test(`bad recovery key (${what}) -> BAD_RECOVERY_KEY`, async () => {
      await rejectsWithCode(() => mx.recoveryKey.decode(text), 'BAD_RECOVERY_KEY', `decode(${JSON.stringify(text)})`);
    });
  }

  test('key description with algorithm m.secret_storage.custom -> UNSUPPORTED_ALGORITHM', async () => {
    const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
    await rejectsWithCode(
      () => mx.secretStorage.checkKey(key, { ...RUST_KEY_INFO, algorithm: 'm.secret_storage.custom' }),
      'UNSUPPORTED_ALGORITHM',
      'checkKey with a custom algorithm',
    );
  });

  // rust-sdk rejects these with an error; what matters here is that they are
  // never accepted: either checkKey resolves false or it rejects with an
  // input-level error code.
  for (const [what, patch] of [
    ['IV of 14 bytes', { iv: b64(new Uint8Array(14).fill(7)) }],
    ['MAC of 10 bytes', { mac: b64(new Uint8Array(10).fill(7)) }],
  ]) {
    test(`key description with ${what} is not accepted`, async () => {
      const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
      let result;
      try {
        result = await mx.secretStorage.checkKey(key, { ...RUST_KEY_INFO, ...patch });
      } catch (err) {
        assert.ok(err instanceof Error);
        assert.ok(['BAD_INPUT', 'BAD_BASE64'].includes(err.code), `unexpected code ${err.code} (${err.message})`);
        return;
      }
      assert.equal(result, false, `checkKey must not return ${result}`);
    });
  }
});

describe('§6.4 restore cross-signing seeds from 4S (matrix-rust-sdk integration test)', () => {
  const integration = SSSS.rust_sdk_integration;
  const items = Object.fromEntries(integration.secrets.map((v) => [v.name, [v.encrypted, v.published_public_key]]));

  test('each secret decrypts to an Ed25519 seed of the published public key', async () => {
    const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
    for (const [name, [item, publicKey]] of Object.entries(items)) {
      const secret = await mx.secretStorage.decrypt(item, key, name);
      const seed = unb64(secret);
      assert.equal(seed.length, 32, name);
      assert.equal(ed25519PublicFromSeed(seed), publicKey, name);
    }
    assert.equal(Object.keys(items).length, 3);
    assert.equal(await mx.secretStorage.decrypt(items['m.cross_signing.master'][0], key, 'm.cross_signing.master'), integration.master_secret_text);
  });
});

describe('§6.5 aes-hmac-sha2 (MSC3270 test data)', () => {
  test('key check with the all-zero key', async () => {
    const info = { algorithm: AES, ...SSSS.jssdk_aes_backup.zero_key_check };
    assert.equal(await mx.secretStorage.checkKey(new Uint8Array(32), info), true);
    const one = new Uint8Array(32);
    one[0] = 1;
    assert.equal(await mx.secretStorage.checkKey(one, info), false);
  });

  test('AES256_KEY_BACKUP_DATA decrypts (name = session id) to the §5.2 session JSON', async () => {
    const v = SSSS.jssdk_aes_backup;
    const plain = await mx.secretStorage.decrypt(v.encrypted, x25519Key(v.key).private, v.name);
    const session = JSON.parse(plain);
    assert.deepEqual(session, backupVector('jssdk_backup_spec').plaintext);
  });
});

describe('§2 canonical JSON and signed JSON', () => {
  // §2.1 from testdata/vectors/canonicaljson.json (inputs are JSON text),
  // then cases of the rules in docs/keys.md §1.1.
  const CANONICAL = loadVectors('canonicaljson.json');
  const cases = [
    ...[...CANONICAL.spec_appendix.cases, ...CANONICAL.mautrix.cases].map((c) => [JSON.parse(c.input), c.canonical]),
    [{ c: '\u0001\u000b\u001f\b\t\n\f\r' }, '{"c":"\\u0001\\u000b\\u001f\\b\\t\\n\\f\\r"}'],
    [{ '\uff61': 1, '\u{1f600}': 2 }, '{"\uff61":1,"\u{1f600}":2}'],
    // literal, unlike Go's encoding/json (docs/keys.md §1.1 pitfalls)
    [{ a: '\u2028\u2029<>&\u007f' }, '{"a":"\u2028\u2029<>&\u007f"}'],
    [{ a: [], b: {}, c: [[]], d: [-9007199254740991, -1] }, '{"a":[],"b":{},"c":[[]],"d":[-9007199254740991,-1]}'],
  ];
  for (const [input, expected] of cases) {
    test(`canonicalJSON(${JSON.stringify(input)})`, async () => {
      assert.equal(await mx.canonicalJSON(input), expected);
    });
  }

  const SIGNING = loadVectors('signing.json');

  test('§2.2 spec signing vectors verify with the seed\'s public key', async () => {
    const spec = SIGNING.spec_appendix;
    const publicKey = ed25519PublicFromSeed(unb64(spec.seed_b64));
    const signed = spec.cases.map((c) => ({ ...c.object, signatures: { [spec.entity]: { [spec.key_id]: c.signature } } }));
    assert.equal(signed.length, 2);
    for (const obj of signed) assert.equal(await mx.signing.verify(obj, spec.entity, spec.key_id, publicKey), true);
    assert.equal(await mx.signing.verify({ ...signed[1], two: 'Three' }, spec.entity, spec.key_id, publicKey), false);
  });

  test('§2.3 js-sdk signed device keys, one-time key, cross-signing keys and backup auth_data verify', async () => {
    const { user_id: user, keys, signed } = SIGNING.jssdk;
    for (const [name, k] of Object.entries(keys)) assert.equal(ed25519PublicFromSeed(Buffer.from(k.seed_text)), k.public_b64, name);
    assert.equal(signed.length, 5);
    for (const v of signed) {
      const pub = keys[v.signer].public_b64;
      const withUnsigned = { ...v.object, unsigned: { device_display_name: 'ignored by signing' } };
      assert.equal(await mx.signing.verify(withUnsigned, user, v.key_id, pub), true, v.name);
    }
    const authData = signed.find((v) => v.name === 'backup auth_data').object;
    assert.equal(authData.public_key, ALICE_PUBLIC);
    assert.equal(
      await mx.signing.verify({ ...authData, public_key: ALICE_PUBLIC.slice(0, -1) + 'q' }, user, 'ed25519:test_device', keys.device.public_b64),
      false,
    );
  });
});
