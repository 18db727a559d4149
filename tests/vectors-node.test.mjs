// Fixed test vectors from docs/vectors.md, run through the JS
// API. Section numbers refer to that file; each vector names its source there.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { loadMx } from './helpers/peers.mjs';
import { b64, unb64 } from './helpers/random.mjs';
import { assertBytes, ed25519PublicFromSeed, hex, rejectsWithCode } from './helpers/util.mjs';
import { backupVector, loadVectors, x25519Key } from './helpers/vectors.mjs';

const AES = 'm.secret_storage.v1.aes-hmac-sha2';
const join = (s) => s.replace(/\s+/g, '');
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

// §6.1 mautrix/go SSSS key 1 and key 2
const KEY1_INFO = {
  algorithm: AES,
  passphrase: { algorithm: 'm.pbkdf2', iterations: 500000, salt: 'y863BOoqOadgDp8S3FtHXikDJEalsQ7d' },
  iv: 'xxkTK0L4UzxgAFkQ6XPwsw',
  mac: 'MEhooO0ZhFJNxUhvRMSxBnJfL20wkLgle3ocY0ee/eA',
};
const KEY1_RECOVERY = 'EsTE s92N EtaX s2h6 VQYF 9Kao tHYL mkyL GKMh isZb KJ4E tvoC';
const KEY2_RECOVERY = 'EsUC xSxt XJgQ dz19 8WBZ rHdE GZo7 ybsn EFmG Y5HY MDAG GNWe';
const KEY2_INFO = { algorithm: AES, iv: 'O0BOvTqiIAYjC+RMcyHfWw==', mac: '7k6OruQlWg0UmQjxGZ0ad4Q6DdwkgnoI7G6X3IjBYtI=' };
const KEY1_MASTER = {
  iv: 'BpKP9nQJTE9jrsAssoxPqQ==',
  ciphertext: 'fNRiiiidezjerTgV+G6pUtmeF3izzj5re/mVvY0hO2kM6kYGrxLuIu2ej80=',
  mac: '/gWGDGMyOLmbJp+aoSLh5JxCs0AdS6nAhjzpe+9G2Q0=',
};

describe('§6.1 mautrix/go SSSS keys', () => {
  test('passphrase "correct horse battery staple" (500000 iterations) gives key 1', async () => {
    const { salt, iterations } = KEY1_INFO.passphrase;
    const key = await mx.passphrase.deriveKey('correct horse battery staple', salt, iterations);
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
    assert.equal(secret, 'aPl/0ZIu7Pa4K7iQ0k0GUphOeh1wO56Ge3669/65W28=');
    assert.equal(hex(unb64(secret)), '68f97fd1922eecf6b82bb890d24d0652984e7a1d703b9e867b7ebaf7feb95b6f');
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
    const text = 'EsTL 2cTx 9Qy1 8TVd qGsn GDrD i5dT EEuX Qz8U P7hi Z7uu U8wZ';
    const key = unb64('QCFDrXZYLEFnwf4NikVm62rYGJS2mNBEmAWLC3CgNPw=');
    assertBytes(await mx.recoveryKey.decode(text), key);
    assert.equal(await mx.recoveryKey.encode(key), text);
  });

  test('m.cross_signing.master item decrypts to the expected secret', async () => {
    const key = await mx.recoveryKey.decode('EsUG Ddi6 e1Cm F4um g38u JN72 d37v Q2ry qCf2 rKgL E2MQ ZQz6');
    const secret = await mx.secretStorage.decrypt(
      {
        iv: 'zxT/W5LpZ0Q819pfju6hZw==',
        ciphertext: 'Fx16KlJ9vkd3Dd6CafIq5spaH5QmK5BALMzbtFbQznG2j1VARKK+klc4/Qo=',
        mac: '0DABPNIZsP9iTOh1o6EM0s7BfHHXb96dN7Eca88jq2E',
      },
      key,
      'm.cross_signing.master',
    );
    assert.equal(secret, 'Ec8eZDyvVkO3EDsEG6ej5c0cCHnX7PINqFXZjnaTV2s=');
  });
});

// §6.3 / §6.4 matrix-rust-sdk
const RUST_KEY_TEXT = 'EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd';
const RUST_KEY_INFO = { algorithm: AES, iv: 'xv5b6/p3ExEw++wTyfSHEg==', mac: 'ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8=' };

describe('§6.3 matrix-rust-sdk secret_storage.rs', () => {
  test('passphrase key (10 iterations, no bits field) passes the key check', async () => {
    const info = {
      algorithm: AES,
      iv: 'gH2iNpiETFhApvW6/FFEJQ',
      mac: '9Lw12m5SKDipNghdQXKjgpfdj1/K7HFI2brO+UWAGoM',
      passphrase: { algorithm: 'm.pbkdf2', salt: 'IuLnH7S85YtZmkkBJKwNUKxWF42g9O1H', iterations: 10 },
    };
    const key = await mx.passphrase.deriveKey("It's a secret to everybody", info.passphrase.salt, info.passphrase.iterations);
    assert.equal(await mx.secretStorage.checkKey(key, info), true);
    const wrong = await mx.passphrase.deriveKey("It's a secret to nobody", info.passphrase.salt, info.passphrase.iterations);
    assert.equal(await mx.secretStorage.checkKey(wrong, info), false);
  });

  test('base58 key passes its key check', async () => {
    const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
    assert.equal(await mx.secretStorage.checkKey(key, RUST_KEY_INFO), true);
  });

  test('whitespace anywhere in a recovery key is ignored', async () => {
    const expected = fromHex('9fbd46bb345171c6f6022c9a25d5681ba54eec6a6c4953f3adc0b96e9d91ada3');
    assertBytes(await mx.recoveryKey.decode('EsT           pRvZTnjck8    YrhRAtw XLS84Nr2r9S9LGAWDaExVAPBvLRK   '), expected);
    assertBytes(await mx.recoveryKey.decode('EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRK'), expected);
    assertBytes(await mx.recoveryKey.decode('\tEsTp RvZT\nnjck 8Yrh\r\nRAtw XLS8 4Nr2 r9S9 LGAW DaEx VAPB vLRK\n'), expected);
  });

  for (const [what, text] of [
    ['parity error', 'EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk'],
    ['prefix error', 'AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk'],
    ['length error', 'AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9'],
    ['not base58 (0, O, I, l)', 'AATpRvZTnjck8YrhRAtwXLS84Nr0OIl'],
    ['§5.5 last character changed', 'EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4e'],
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
  const items = {
    'm.cross_signing.master': [
      {
        iv: 'bdfCwu+ECYgZ/jWTkGrQ/A==',
        ciphertext: 'lCRSSA1lChONEXj/8RyogsgAa8ouQwYDnLr4XBCheRikrZykLRzPCx3doCE=',
        mac: 'NXeV1dZaOe2JLvQ6Hh6tFto7AgFFdaQnY0l9pruwdtE=',
      },
      'fKJdf5b3ga1hshUT5obkBteMNTtLkfy8qh4h5/XLNew',
    ],
    'm.cross_signing.self_signing': [
      {
        ciphertext: '+B9WD02IvtQ8S4OaquhuYEZAx20xvz0oTN7r2VM9VOBxmlOyi+KkkWOvLAo=',
        iv: '3BCaKGCaSMkg1x9WnTqUmw==',
        mac: 'xQEDxQbPH0bYeZUFC3wYJh0lsLkP2amcFGdaZ3VdfQg=',
      },
      'vsEoa0HHxc8hmlWgoohTQBGWcCRh1BFoTzI8HNIxg5Q',
    ],
    'm.cross_signing.user_signing': [
      {
        ciphertext: 'atqNy5IDzYRkRC+lkKoflwsyHkd0dr4UeoViwJdUzexiq0M8h1i8JMkADNg=',
        iv: 'bjb1V2n9YmA8j31Z9muMqQ==',
        mac: 'vusvNuV8Kkq50VxtC78oioofVBurnTTVEhiRyZkfu/4=',
      },
      'IGfFj6KhzqBWxiMm6/e+Pu/x/5NV6a7iEe8AKhuRiq0',
    ],
  };

  test('each secret decrypts to an Ed25519 seed of the published public key', async () => {
    const key = await mx.recoveryKey.decode(RUST_KEY_TEXT);
    for (const [name, [item, publicKey]] of Object.entries(items)) {
      const secret = await mx.secretStorage.decrypt(item, key, name);
      const seed = unb64(secret);
      assert.equal(seed.length, 32, name);
      assert.equal(ed25519PublicFromSeed(seed), publicKey, name);
    }
    assert.equal(
      await mx.secretStorage.decrypt(items['m.cross_signing.master'][0], key, 'm.cross_signing.master'),
      'VcY1+LNyV6aSMne8mvi4lc/q+JiCHe+m6+hKLtgLP30=',
    );
  });
});

describe('§6.5 aes-hmac-sha2 (MSC3270 test data)', () => {
  test('key check with the all-zero key', async () => {
    const info = { algorithm: AES, iv: 'PsCAtR7gMc4xBd9YS3A9Ow', mac: 'ZSDsTFEZK7QzlauCLMleUcX96GQZZM7UNtk4sripSqQ' };
    assert.equal(await mx.secretStorage.checkKey(new Uint8Array(32), info), true);
    const one = new Uint8Array(32);
    one[0] = 1;
    assert.equal(await mx.secretStorage.checkKey(one, info), false);
  });

  test('AES256_KEY_BACKUP_DATA decrypts (name = session id) to the §5.2 session JSON', async () => {
    const plain = await mx.secretStorage.decrypt(
      {
        iv: 'b3Jqqvm5S9QdmXrzssspLQ',
        mac: 'uR988UYgGL99jrvLLPX3V1ows+UYbktTmMxPAo2kxnU',
        ciphertext: join(`GOOASO3E9ThogkG0zMjEduGLM3u9jHZTkS7AvNNbNj3q1znwk4OlaVKXce7ynofiiYIiS865VlOqrKEEXv96XzRyUpgn68e3
          WsicwYl96EtjIEh/iY003PG2QdEluT899Ax7PydpUHxEktbWckMppYomUR5q8x1KI1SsOQIiJaIGThmIMPANRCFiK0WQj+q+
          dnhzx4lt9AFqU5bKov8qKnw2qGYP7/+6RmJ0Kpvs8tG6lrcNDEHtFc2r0rKKubDypo0Vc8EWSwsAHdKa36ewRavpreOuE8Z9
          RLfY0QIR1ecXrMqW0CdGFr7H3PvcjF8sjwvQAavzxEKT1WMGizSMLeKWo2mgZ5cKnwV5HGUAw596JQvKs9laG2U89KYrT0sH
          30vi62HKzcBLcDkWkUSNYPz7UiZ1MM0L380UA+1ZOXSOmtBA9xxzzbc8XdfRimVgklGdxrxjzuNLYhL2BvVH4oPWonD9j0bv
          RwE6XkimdbGQA8HB7UmXXjE8WARgaDHkfzoA3g3aeQ`),
      },
      ALICE_PRIVATE,
      'o+21hSjP+mgEmcfdslPsQdvzWnkdt0Wyo00Kp++R8Kc',
    );
    const session = JSON.parse(plain);
    assert.equal(session.sender_key, 'SENDER_CURVE25519');
    assert.ok(session.session_key.startsWith('AQAAAAA+rPPVHcT/tDMBb6ffG42S'));
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
