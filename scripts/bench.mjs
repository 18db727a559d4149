// `npm run bench`: mxcrypto side by side with libolm (@matrix-org/olm) and
// matrix-sdk-crypto-wasm on this machine, in one run. Each figure is the
// median of RUNS runs. Ratios are "how many times faster than the peer"
// (> 1 means mxcrypto is faster).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { init } from '../jsbridge/index.mjs';

const require = createRequire(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const PBKDF2_ITERATIONS = 500_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function measure(fn, runs = RUNS) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}
const ms = (x) => `${x.toFixed(1)} ms`;
const rows = [];
function row(group, name, value, unit, note = '') {
  rows.push({ group, name, value, unit, note });
  console.log(`${group.padEnd(26)} ${name.padEnd(44)} ${unit === 'ms' ? ms(value).padStart(12) : String(value).padStart(12)} ${note}`);
}

const Olm = require('@matrix-org/olm');
await Olm.init();
const rust = await import('@matrix-org/matrix-sdk-crypto-wasm');
await rust.initAsync();
const mx = await init();
const mxGo = await init({ webCrypto: false });

// --- data -------------------------------------------------------------------
const sessionData = (i) => ({
  algorithm: 'm.megolm.v1.aes-sha2',
  sender_key: 'JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4',
  sender_claimed_keys: { ed25519: 'R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4' },
  forwarding_curve25519_key_chain: [],
  session_key: 'AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E',
  n: i,
});
const key = await mx.backup.createKey();
const plaintexts = Array.from({ length: KEYS }, (_, i) => sessionData(i));
const plainStrings = plaintexts.map((p) => JSON.stringify(p));
const olmEnc = new Olm.PkEncryption();
olmEnc.set_recipient_key(key.publicKey);
const encrypted = plainStrings.map((s) => olmEnc.encrypt(s));
const body = { rooms: {} };
encrypted.forEach((m, i) => {
  const room = `!room${i % 100}:example.org`;
  body.rooms[room] ??= { sessions: {} };
  body.rooms[room].sessions[`session${i}`] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: m };
});

console.log(`mxcrypto benchmark: ${KEYS} backup keys, median of ${RUNS} runs, node ${process.version}\n`);

// --- backup encrypt ----------------------------------------------------------
const G1 = `backup encrypt ×${KEYS}`;
const encOlm = await measure(() => { for (const s of plainStrings) olmEnc.encrypt(s); });
const rustPub = rust.Curve25519PublicKey ? new rust.Curve25519PublicKey(key.publicKey) : null;
const rustEnc = rustPub ? rust.PkEncryption.fromKey(rustPub) : null;
const encRust = rustEnc ? await measure(() => { for (const s of plainStrings) rustEnc.encryptString(s).free(); }) : NaN;
const encOurs = await measure(async () => { for (const p of plaintexts) await mx.backup.encrypt(key.publicKey, p); });
row(G1, 'libolm PkEncryption loop', encOlm, 'ms');
row(G1, 'matrix-sdk-crypto-wasm PkEncryption loop', encRust, 'ms');
row(G1, 'mxcrypto backup.encrypt loop', encOurs, 'ms', `×${(encOlm / encOurs).toFixed(2)} libolm, ×${(encRust / encOurs).toFixed(2)} rust-sdk`);

// --- backup decrypt ----------------------------------------------------------
const G2 = `backup decrypt ×${KEYS}`;
const olmDec = new Olm.PkDecryption();
olmDec.init_with_private_key(key.privateKey);
const decOlm = await measure(() => { for (const m of encrypted) JSON.parse(olmDec.decrypt(m.ephemeral, m.mac, m.ciphertext)); });
const rustKey = rust.BackupDecryptionKey.fromBase64(Buffer.from(key.privateKey).toString('base64'));
const decRust = await measure(() => { for (const m of encrypted) JSON.parse(rustKey.decryptV1(m.ephemeral, m.mac, m.ciphertext)); });
const decLoop = await measure(async () => { for (const m of encrypted) await mx.backup.decrypt(key.privateKey, m); });
let checked = false;
const decMany = await measure(async () => {
  const r = await mx.backup.decryptMany(key.privateKey, body);
  if (!checked && (r.sessions.length !== KEYS || r.failures.length)) throw new Error('decryptMany lost keys');
  checked = true;
});
const decManyGo = await measure(() => mxGo.backup.decryptMany(key.privateKey, body), Math.min(RUNS, 3));
row(G2, 'libolm PkDecryption loop', decOlm, 'ms');
row(G2, 'matrix-sdk-crypto-wasm decryptV1 loop', decRust, 'ms');
row(G2, 'mxcrypto backup.decrypt loop', decLoop, 'ms', `×${(decOlm / decLoop).toFixed(2)} libolm`);
row(G2, 'mxcrypto decryptMany', decMany, 'ms', `×${(decOlm / decMany).toFixed(2)} libolm, ×${(decRust / decMany).toFixed(2)} rust-sdk (target ≥ 2× libolm)`);
row(G2, 'mxcrypto decryptMany, Go only (no WebCrypto)', decManyGo, 'ms', `×${(decOlm / decManyGo).toFixed(2)} libolm`);

// --- PBKDF2 --------------------------------------------------------------------
const G3 = `PBKDF2-SHA-512 ${PBKDF2_ITERATIONS}`;
const utf8 = new TextEncoder();
const webcrypto = await measure(async () => {
  const base = await crypto.subtle.importKey('raw', utf8.encode('passphrase'), 'PBKDF2', false, ['deriveBits']);
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: utf8.encode('salt'), iterations: PBKDF2_ITERATIONS }, base, 256);
}, 3);
const pbOurs = await measure(() => mx.passphrase.deriveKey('passphrase', 'salt', PBKDF2_ITERATIONS), 3);
const pbGo = await measure(() => mxGo.passphrase.deriveKey('passphrase', 'salt', PBKDF2_ITERATIONS), 3);
row(G3, 'WebCrypto directly', webcrypto, 'ms');
row(G3, 'mxcrypto passphrase.deriveKey', pbOurs, 'ms', `${(pbOurs / webcrypto).toFixed(2)}× WebCrypto's time (target ≤ 1.1)`);
row(G3, 'mxcrypto, Go only (no WebCrypto)', pbGo, 'ms', `${(pbGo / webcrypto).toFixed(2)}× WebCrypto's time`);

// --- start-up -------------------------------------------------------------------
const G4 = 'fresh node → ready';
const root = fileURLToPath(new URL('..', import.meta.url));
function startup(code) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root });
    times.push(performance.now() - t);
  }
  return median(times);
}
const bare = startup('');
const readyOurs = startup("import { init } from './jsbridge/index.mjs'; await init();");
const readyOlm = startup("import { createRequire } from 'node:module'; const Olm = createRequire(import.meta.url)('@matrix-org/olm'); await Olm.init();");
const readyRust = startup("const sdk = await import('@matrix-org/matrix-sdk-crypto-wasm'); await sdk.initAsync();");
row(G4, 'node with nothing loaded', bare, 'ms');
row(G4, 'libolm', readyOlm, 'ms');
row(G4, 'matrix-sdk-crypto-wasm', readyRust, 'ms');
row(G4, 'mxcrypto', readyOurs, 'ms', `(target ≤ matrix-sdk-crypto-wasm's ${ms(readyRust)})`);

// --- size ---------------------------------------------------------------------------
const G5 = 'module size (raw / gzip -9)';
const size = (path) => {
  const b = readFileSync(path);
  return `${(b.length / 1024).toFixed(0)} / ${(gzipSync(b, { level: 9 }).length / 1024).toFixed(0)} KiB`;
};
row(G5, 'libolm olm.wasm', size(require.resolve('@matrix-org/olm/olm.wasm')), 'size');
row(G5, 'matrix-sdk-crypto-wasm', size(new URL('../node_modules/@matrix-org/matrix-sdk-crypto-wasm/pkg/matrix_sdk_crypto_wasm_bg.wasm', import.meta.url)), 'size');
row(G5, 'mxcrypto.wasm', size(new URL('../dist/mxcrypto.wasm', import.meta.url)), 'size', '(target gzip ≤ 1.2 MB)');
