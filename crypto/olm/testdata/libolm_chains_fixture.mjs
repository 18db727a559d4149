// Generates libolm_chains.json: a libolm 3.2.15 conversation, in the step
// format of libolm_steps.json, in which Bob holds the full five receiver
// chains (a sixth has already pushed out the oldest), with skipped message
// keys on several chains, and two messages on his newest chain still in
// flight when he replies. Alice then answers on a new chain (N1) and the two
// late messages arrive after it.
//
// libolm writes receiver chains newest first and drops the oldest on a new
// chain; this vector pins that, and the interop test uses the same bytes to
// show how vodozemac 0.10.0 reads them.
//
// Labelled steps: "reply" (Bob's reply; before = no sender chain, after =
// with one), "alice gets reply", "N1", "late h2", "late h0".
//
// Run from the repository root: node crypto/olm/testdata/libolm_chains_fixture.mjs
// (needs @matrix-org/olm from node_modules). Output is random each run.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const Olm = require('@matrix-org/olm');
await Olm.init();

const KEY = 'fixture: five receiver chains';
const steps = [];
const ids = (a) => JSON.parse(a.identity_keys()).curve25519;

function account() {
  const a = new Olm.Account();
  a.create();
  return a;
}

function encrypt(who, s, plaintext, label) {
  const before = s.pickle(KEY);
  const m = s.encrypt(plaintext);
  steps.push({ op: 'encrypt', who, label, before, plaintext, type: m.type, body: m.body, after: s.pickle(KEY) });
  return { ...m, plaintext };
}

function decrypt(who, s, m, label) {
  const before = s.pickle(KEY);
  const plaintext = s.decrypt(m.type, m.body);
  if (plaintext !== m.plaintext) throw new Error(`${who} decrypted ${plaintext}, expected ${m.plaintext}`);
  steps.push({ op: 'decrypt', who, label, before, type: m.type, body: m.body, plaintext, after: s.pickle(KEY) });
}

const bob = account();
bob.generate_one_time_keys(1);
const otk = Object.values(JSON.parse(bob.one_time_keys()).curve25519)[0];
bob.mark_keys_as_published();

const alice = account();
const a = new Olm.Session();
a.create_outbound(alice, ids(bob), otk);
steps.push({ op: 'outbound', session: a.pickle(KEY), sessionId: a.session_id() });

// Chain A0 (pre-key messages): Bob starts from #2; #1's key stays skipped.
const p = [0, 1, 2].map((i) => encrypt('alice', a, `A0 #${i}`));
const accountBefore = bob.pickle(KEY);
const b = new Olm.Session();
b.create_inbound_from(bob, ids(alice), p[2].body);
const first = b.decrypt(p[2].type, p[2].body);
bob.remove_one_time_keys(b);
steps.push({
  op: 'inbound', identity: ids(alice), accountBefore, type: p[2].type, body: p[2].body, plaintext: first,
  sessionAfter: b.pickle(KEY), accountAfter: bob.pickle(KEY), sessionId: b.session_id(),
});
decrypt('bob', b, p[0]);

// Chains A1..A4: one ratchet step each; on odd chains the middle message
// never arrives, so its key stays skipped.
for (let i = 1; i <= 4; i++) {
  decrypt('alice', a, encrypt('bob', b, `B${i}`));
  const m = [0, 1, 2].map((j) => encrypt('alice', a, `A${i} #${j}`));
  if (i % 2) {
    decrypt('bob', b, m[2]);
    decrypt('bob', b, m[0]);
  } else {
    for (const x of m) decrypt('bob', b, x);
  }
}

// Chain A5, Bob's sixth: libolm drops A0. h0 and h2 stay in flight.
decrypt('alice', a, encrypt('bob', b, 'B5'));
const x = [0, 1].map((j) => encrypt('alice', a, `A5 #${j}`));
const [h0, h1, h2] = [0, 1, 2].map((j) => encrypt('alice', a, `A5 h${j}`));
for (const m of [...x, h1]) decrypt('bob', b, m);

// Bob replies; Alice answers on a new chain A6 (N1), which reaches Bob
// before the late h2 and h0.
const reply = encrypt('bob', b, 'B6', 'reply');
decrypt('alice', a, reply, 'alice gets reply');
const n1 = encrypt('alice', a, 'A6 #0 (N1)');
decrypt('bob', b, n1, 'N1');
decrypt('bob', b, h2, 'late h2');
decrypt('bob', b, h0, 'late h0');

writeFileSync(new URL('./libolm_chains.json', import.meta.url), JSON.stringify({ pickleKey: KEY, steps }, null, 1) + '\n');
console.log(`${steps.length} steps`);
