// `npm run bench`: mxcrypto side by side with libolm (@matrix-org/olm) and
// matrix-sdk-crypto-wasm on this machine, in one run. Each figure is the
// median of RUNS runs. Ratios are "how many times faster than the peer"
// (> 1 means mxcrypto is faster).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { init } from 'mxcrypto';
import { brotli, buildUnstripped, report } from './bench/wasm-size.mjs';

const require = createRequire(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
// BENCH_ONLY=backup,megolm,olm,pbkdf2,store,restore,startup,size,chromium picks sections (default: all).
// The chromium section's own settings are described in scripts/bench/chromium.mjs.
// BENCH_RESTORE_KEYS (default 100000) sizes the restore section; BENCH_RESTORE_RUNS and
// BENCH_RESTORE_WORKERS are described in scripts/bench/restore.mjs.
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const want = (section) => !ONLY || ONLY.has(section);
const PBKDF2_ITERATIONS = 500_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// before (untimed) prepares each run.
async function measure(fn, runs = RUNS, before = null) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const input = before ? await before() : undefined;
    const t = performance.now();
    await fn(input);
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

console.log(`mxcrypto benchmark: median of ${RUNS} runs, node ${process.version}\n`);

if (want('backup')) {
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

}

if (want('pbkdf2')) {
// --- PBKDF2 --------------------------------------------------------------------
const G3 = `PBKDF2-SHA-512 ${PBKDF2_ITERATIONS}`;
const utf8 = new TextEncoder();
const viaWebCrypto = async () => {
  const base = await crypto.subtle.importKey('raw', utf8.encode('passphrase'), 'PBKDF2', false, ['deriveBits']);
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: utf8.encode('salt'), iterations: PBKDF2_ITERATIONS }, base, 256);
};
const viaOurs = () => mx.passphrase.deriveKey('passphrase', 'salt', PBKDF2_ITERATIONS);
// Interleaved, so a busy moment slows both sides alike.
const wcTimes = [];
const oursTimes = [];
for (let i = 0; i < Math.max(RUNS, 3); i++) {
  wcTimes.push(await measure(viaWebCrypto, 1));
  oursTimes.push(await measure(viaOurs, 1));
}
const webcrypto = median(wcTimes);
const pbOurs = median(oursTimes);
const pbGo = await measure(() => mxGo.passphrase.deriveKey('passphrase', 'salt', PBKDF2_ITERATIONS), 3);
row(G3, 'WebCrypto directly', webcrypto, 'ms');
row(G3, 'mxcrypto passphrase.deriveKey', pbOurs, 'ms', `${(pbOurs / webcrypto).toFixed(2)}× WebCrypto's time (target ≤ 1.1)`);
row(G3, 'mxcrypto, Go only (no WebCrypto)', pbGo, 'ms', `${(pbGo / webcrypto).toFixed(2)}× WebCrypto's time`);

}

if (want('megolm')) await benchMegolm();
if (want('olm')) await benchOlm();

if (want('store')) benchStore();
if (want('restore')) {
  const { benchRestore } = await import('./bench/restore.mjs');
  await benchRestore(row, Number(process.env.BENCH_RESTORE_KEYS ?? 100_000));
}

if (want('chromium')) {
  const { benchChromium } = await import('./bench/chromium.mjs');
  await benchChromium(row);
}

if (want('startup')) {
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
const readyOurs = startup("import { init } from './dist/index.mjs'; await init();");
const readyOlm = startup("import { createRequire } from 'node:module'; const Olm = createRequire(import.meta.url)('@matrix-org/olm'); await Olm.init();");
const readyRust = startup("const sdk = await import('@matrix-org/matrix-sdk-crypto-wasm'); await sdk.initAsync();");
row(G4, 'node with nothing loaded', bare, 'ms');
row(G4, 'libolm', readyOlm, 'ms');
row(G4, 'matrix-sdk-crypto-wasm', readyRust, 'ms');
row(G4, 'mxcrypto', readyOurs, 'ms', `(target ≤ matrix-sdk-crypto-wasm's ${ms(readyRust)})`);

}

if (want('size')) {
// --- size ---------------------------------------------------------------------------
const G5 = 'module size (raw / gzip -9 / brotli 11)';
const size = (path) => {
  const b = readFileSync(path);
  return `${(b.length / 1024).toFixed(0)} / ${(gzipSync(b, { level: 9 }).length / 1024).toFixed(0)} / ${(brotli(b) / 1024).toFixed(0)} KiB`;
};
row(G5, 'libolm olm.wasm', size(require.resolve('@matrix-org/olm/olm.wasm')), 'size');
row(G5, 'matrix-sdk-crypto-wasm', size(new URL('../node_modules/@matrix-org/matrix-sdk-crypto-wasm/pkg/matrix_sdk_crypto_wasm_bg.wasm', import.meta.url)), 'size');
row(G5, 'mxcrypto-core.wasm (crypto only)', size(new URL('../dist/mxcrypto-core.wasm', import.meta.url)), 'size');
row(G5, 'mxcrypto.wasm (+ store, device API)', size(new URL('../dist/mxcrypto.wasm', import.meta.url)), 'size', '(target gzip ≤ 1.2 MB)');
// Where the full module's bytes go (an unstripped build of the same code).
report('mxcrypto.wasm breakdown (unstripped build)', buildUnstripped(), 25);
}

// --- Megolm -------------------------------------------------------------------------
async function benchMegolm() {
  const G = `megolm ×${MESSAGES} 1 KiB`;
  const text = 'x'.repeat(1024);
  // libolm
  const lOut = new Olm.OutboundGroupSession();
  lOut.create();
  const lKey = lOut.session_key();
  const lMsgs = [];
  const encOlm = await measure(() => {
    const o = new Olm.OutboundGroupSession();
    o.create();
    for (let i = 0; i < MESSAGES; i++) o.encrypt(text);
    o.free();
  });
  for (let i = 0; i < MESSAGES; i++) lMsgs.push(lOut.encrypt(text));
  const decOlm = await measure(() => {
    const inb = new Olm.InboundGroupSession();
    inb.create(lKey);
    for (const m of lMsgs) inb.decrypt(m);
    inb.free();
  });
  // mxcrypto
  const encOurs = await measure(async () => {
    const o = await mx.megolm.createOutboundSession();
    for (let i = 0; i < MESSAGES; i++) await o.encrypt(text);
  });
  const decOurs = await measure(async () => {
    const inb = await mx.megolm.createInboundSession(lKey);
    for (const m of lMsgs) await inb.decrypt(m);
  });
  row(G, 'libolm encrypt', encOlm, 'ms');
  row(G, 'mxcrypto encrypt', encOurs, 'ms', `×${(encOlm / encOurs).toFixed(2)} libolm (target ≥ 0.75)`);
  row(G, 'libolm decrypt', decOlm, 'ms');
  row(G, 'mxcrypto decrypt', decOurs, 'ms', `×${(decOlm / decOurs).toFixed(2)} libolm (target ≥ 0.75)`);

  const G2 = 'megolm import at 0, decrypt far';
  const far = [lMsgs[MESSAGES - 1], lMsgs[MESSAGES - 17]];
  const exp0 = (() => {
    const inb = new Olm.InboundGroupSession();
    inb.create(lKey);
    const e = inb.export_session(0);
    inb.free();
    return e;
  })();
  const farOlm = await measure(() => {
    for (let i = 0; i < 100; i++) {
      const inb = new Olm.InboundGroupSession();
      inb.import_session(exp0);
      for (const m of far) inb.decrypt(m);
      inb.free();
    }
  });
  const farOurs = await measure(async () => {
    for (let i = 0; i < 100; i++) {
      const inb = await mx.megolm.importInboundSession(exp0);
      for (const m of far) await inb.decrypt(m);
    }
  });
  row(G2, `libolm ×100 (index ${MESSAGES - 1} then ${MESSAGES - 17})`, farOlm, 'ms');
  row(G2, 'mxcrypto ×100', farOurs, 'ms', `×${(farOlm / farOurs).toFixed(2)} libolm`);
  row(G, 'matrix-sdk-crypto-wasm', 'n/a', 'size', '(exposes no low-level Megolm session API)');
}

// --- Olm ------------------------------------------------------------------------------
async function benchOlm() {
  const G = 'olm';
  const SETUPS = 100; // libolm holds at most 100 one-time keys
  const EXCHANGE = 1000;
  const text = 'y'.repeat(1024);
  // Accounts made before: Bob publishes keys, Alice sets up sessions.
  const lBob = new Olm.Account();
  lBob.create();
  lBob.generate_one_time_keys(SETUPS);
  const lBobId = JSON.parse(lBob.identity_keys()).curve25519;
  const lOtks = Object.values(JSON.parse(lBob.one_time_keys()).curve25519);
  const lAlice = new Olm.Account();
  lAlice.create();
  const setupOlm = await measure(() => {
    for (let i = 0; i < SETUPS; i++) {
      const s = new Olm.Session();
      s.create_outbound(lAlice, lBobId, lOtks[i]);
      const m = s.encrypt('hi');
      const r = new Olm.Session();
      r.create_inbound_from(lBob, JSON.parse(lAlice.identity_keys()).curve25519, m.body);
      r.decrypt(m.type, m.body);
      s.free();
      r.free();
    }
  }, 3);
  const bob = await mx.olm.createAccount();
  const alice = await mx.olm.createAccount();
  // Bob's one-time keys are made before each run, as libolm's are above
  // (ours are used up by the run: createInboundSession removes them).
  const setupOurs = await measure(async (otks) => {
    for (const otk of otks) {
      const s = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
      const m = await s.encrypt('hi');
      await bob.createInboundSession(alice.identityKeys.curve25519, m);
    }
  }, 3, async () => {
    await bob.generateOneTimeKeys(SETUPS);
    const otks = Object.values(await bob.unpublishedOneTimeKeys());
    await bob.markKeysAsPublished();
    return otks;
  });
  row(G, `session setup ×${SETUPS} (libolm)`, setupOlm, 'ms');
  row(G, `session setup ×${SETUPS} (mxcrypto)`, setupOurs, 'ms', `×${(setupOlm / setupOurs).toFixed(2)} libolm (target ≥ 0.75)`);

  // Alternating 1 KiB messages: every message turns the ratchet.
  const lA = new Olm.Session();
  const lOtk = (() => { lBob.generate_one_time_keys(1); return Object.values(JSON.parse(lBob.one_time_keys()).curve25519).pop(); })();
  lA.create_outbound(lAlice, lBobId, lOtk);
  const first = lA.encrypt('hi');
  const lB = new Olm.Session();
  lB.create_inbound(lBob, first.body);
  lB.decrypt(first.type, first.body);
  const exOlm = await measure(() => {
    for (let i = 0; i < EXCHANGE; i++) {
      const [from, to] = i % 2 ? [lB, lA] : [lA, lB];
      const m = from.encrypt(text);
      to.decrypt(m.type, m.body);
    }
  }, 3);
  await bob.generateOneTimeKeys(1);
  const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
  const a = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
  const { session: b } = await bob.createInboundSession(alice.identityKeys.curve25519, await a.encrypt('hi'));
  const exOurs = await measure(async () => {
    for (let i = 0; i < EXCHANGE; i++) {
      const [from, to] = i % 2 ? [b, a] : [a, b];
      await to.decrypt(await from.encrypt(text));
    }
  }, 3);
  row(G, `exchange ×${EXCHANGE} 1 KiB alternating (libolm)`, exOlm, 'ms');
  row(G, `exchange ×${EXCHANGE} 1 KiB alternating (mxcrypto)`, exOurs, 'ms', `×${(exOlm / exOurs).toFixed(2)} libolm (target ≥ 0.75)`);

  const acct = new Olm.Account();
  acct.create();
  acct.generate_one_time_keys(50);
  const picOlm = await measure(() => {
    for (let i = 0; i < 100; i++) {
      const p = acct.pickle('key');
      const x = new Olm.Account();
      x.unpickle('key', p);
      x.free();
    }
  });
  const ours = await mx.olm.createAccount();
  await ours.generateOneTimeKeys(50);
  const pk = new Uint8Array(32).fill(1);
  const picOurs = await measure(async () => {
    for (let i = 0; i < 100; i++) await mx.olm.unpickleAccount(await ours.pickle(pk), pk);
  });
  row(G, 'account pickle+unpickle ×100, 50 OTKs (libolm)', picOlm, 'ms');
  row(G, 'account pickle+unpickle ×100, 50 OTKs (mxcrypto)', picOurs, 'ms', `×${(picOlm / picOurs).toFixed(2)} libolm`);
  row(G, 'matrix-sdk-crypto-wasm', 'n/a', 'size', '(exposes no low-level Olm session API)');
}

// --- key store ----------------------------------------------------------------------
// The store's Go benchmark (store/bench_test.go) under js/wasm: in Node over
// fake-indexeddb, and in headless Chromium over its real IndexedDB
// (wasmbrowsertest; BENCH_STORE_CHROMIUM=0 skips it).
function benchStore() {
  const runs = [['store (wasm, fake-indexeddb)', 'wasm_exec_fake_indexeddb.sh']];
  if (process.env.BENCH_STORE_CHROMIUM !== '0') runs.push(['store (wasm, Chromium IDB)', 'wasm_exec_chromium.sh']);
  const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
  for (const [G, runner] of runs) {
    const out = execFileSync('go', ['test', '-run', 'XXX', '-bench', 'BenchmarkInbound/indexeddb', '-benchtime', '1x', '-timeout', '30m',
      '-exec', fileURLToPath(new URL(`../store/testdata/${runner}`, import.meta.url)), './store/'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, GOOS: 'js', GOARCH: 'wasm', PATH: `${goroot}/lib/wasm:${process.env.PATH}` },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const lines = out.split('\n').filter((l) => /^BenchmarkInbound\/indexeddb\/\d+/.test(l));
    if (!lines.length) throw new Error(`store bench (${runner}) printed no result:\n${out}`);
    for (const line of lines) {
      const n = line.split(/\s+/)[0].split('/').pop().replace(/-\d+$/, '');
      const metrics = Object.fromEntries([...line.matchAll(/([\d.]+) ([a-z0-9+-]+-(?:ms|MiB))/g)].map((m) => [m[2], Number(m[1])]));
      row(G, `${n} inbound sessions: bulk store`, metrics['bulk-ms'], 'ms', n === '100000' ? '(target ≤ 20 s in Chromium)' : '');
      row(G, `${n}: reopen + count`, metrics['open+count-ms'], 'ms', '(target count ≤ 10 ms)');
      row(G, `${n}: count alone`, metrics['count-ms'], 'ms');
      row(G, `${n}: one lookup, the first after reopening`, metrics['lookup-ms'], 'ms', '(target ≤ 5 ms)');
      row(G, `${n}: another lookup, other segment`, metrics['lookup2-ms'], 'ms');
      row(G, `${n}: one single-session write, p50`, metrics['write-p50-ms'], 'ms', '(target ≤ 20 ms)');
      row(G, `${n}: peak wasm memory`, `${metrics['sys-MiB']} MiB`, 'size');
    }
  }
}
