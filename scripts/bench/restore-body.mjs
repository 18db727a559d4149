// A key-backup body of n Megolm sessions (m.megolm_backup.v1.curve25519-aes-sha2)
// for the restore benchmark, made with node:crypto and cached under
// node_modules/.cache (making 100,000 takes ~45 s). The encryption is
// libolm's PkEncryption (HKDF-SHA-256 → AES-256-CBC, the MAC over the empty
// string); the first few entries are checked with libolm's PkDecryption.
import crypto from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const b64 = (b) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/mxcrypto-bench/', import.meta.url));

// Keys come from random private bytes imported as PKCS#8 DER, and public
// keys are read from the SPKI DER export. Not generateKeyPairSync + export
// as JWK: in Node 20 that self-deadlocks now and then (ExportJWKEdKey holds
// the key's mutex while allocating; a GC during that allocation destroys a
// KeyGenJob that takes the same mutex).
const PKCS8_PREFIX = {
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
};
const SPKI_PREFIX_LENGTH = 12; // 302a300506032b65xx032100, then the 32-byte key

function keyPair(type) {
  const priv = crypto.randomBytes(32);
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[type], priv]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return { priv: () => priv, pub: Buffer.from(spki.subarray(SPKI_PREFIX_LENGTH)), key };
}
const x25519Pair = () => keyPair('x25519');

// HKDF-SHA-256 from HMACs. (The generator used to hang now and then in a
// futex wait inside node:crypto: the JWK-export deadlock described at
// keyPair above.)
function hkdf(ikm, salt, n) {
  const prk = crypto.createHmac('sha256', salt).update(ikm).digest();
  const out = [];
  let t = Buffer.alloc(0);
  for (let i = 1; out.length * 32 < n; i++) {
    t = crypto.createHmac('sha256', prk).update(Buffer.concat([t, Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, n);
}

function pkEncrypt(recipient, plaintext) {
  const eph = x25519Pair();
  const shared = crypto.diffieHellman({ privateKey: eph.key, publicKey: recipient });
  const okm = hkdf(shared, Buffer.alloc(32), 80);
  const cipher = crypto.createCipheriv('aes-256-cbc', okm.subarray(0, 32), okm.subarray(64, 80));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = crypto.createHmac('sha256', okm.subarray(32, 64)).digest().subarray(0, 8);
  return { ciphertext: b64(ct), ephemeral: b64(eph.pub), mac: b64(mac) };
}

export async function restoreBody(n, rooms = 100) {
  const file = `${cacheDir}restore-${n}.json`;
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const backup = x25519Pair();
  const backupPub = crypto.createPublicKey(backup.key);
  const senderKey = b64(x25519Pair().pub);
  const body = { rooms: {} };
  for (let i = 0; i < n; i++) {
    const { pub } = keyPair('ed25519');
    // Export format v1: version, index (BE), the 128-byte ratchet, the Ed25519 key.
    const exp = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), crypto.randomBytes(128), pub]);
    const sessionData = {
      algorithm: 'm.megolm.v1.aes-sha2',
      sender_key: senderKey,
      session_key: b64(exp),
      sender_claimed_keys: { ed25519: b64(pub) },
      forwarding_curve25519_key_chain: [],
    };
    const roomId = `!room${i % rooms}:example.org`;
    (body.rooms[roomId] ??= { sessions: {} }).sessions[b64(pub)] = {
      first_message_index: 0, forwarded_count: 0, is_verified: false,
      session_data: pkEncrypt(backupPub, JSON.stringify(sessionData)),
    };
  }
  const out = { privateKey: b64(backup.priv()), publicKey: b64(backup.pub), body };
  // Check a few entries with an independent implementation.
  const Olm = require('@matrix-org/olm');
  await Olm.init();
  const dec = new Olm.PkDecryption();
  dec.init_with_private_key(Buffer.from(out.privateKey, 'base64'));
  let checked = 0;
  for (const room of Object.values(body.rooms)) {
    for (const s of Object.values(room.sessions)) {
      const d = s.session_data;
      JSON.parse(dec.decrypt(d.ephemeral, d.mac, d.ciphertext));
      if (++checked >= 5) break;
    }
    if (checked >= 5) break;
  }
  dec.free();
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  return out;
}
