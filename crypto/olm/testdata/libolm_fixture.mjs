// Generates libolm_steps.json: a recorded libolm 3.2.15 conversation in
// which every step carries libolm's state (account or session pickle)
// before and after it, so the Go tests can replay each step from libolm's
// exact state and compare the resulting state byte for byte.
//
// Run from the repository root: node crypto/olm/testdata/libolm_fixture.mjs
// (needs @matrix-org/olm from node_modules). Output is random each run.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const Olm = require('@matrix-org/olm');
await Olm.init();

const KEY = 'fixture';
const steps = [];
const ids = (a) => JSON.parse(a.identity_keys()).curve25519;

function account() {
  const a = new Olm.Account();
  a.create();
  return a;
}

function encrypt(who, s, plaintext) {
  const before = s.pickle(KEY);
  const m = s.encrypt(plaintext);
  steps.push({ op: 'encrypt', who, before, plaintext, type: m.type, body: m.body, after: s.pickle(KEY) });
  return m;
}

function decrypt(who, s, m) {
  const before = s.pickle(KEY);
  const plaintext = s.decrypt(m.type, m.body);
  steps.push({ op: 'decrypt', who, before, type: m.type, body: m.body, plaintext, after: s.pickle(KEY) });
}

function inbound(bob, aliceAcct, m, removeKey) {
  const accountBefore = bob.pickle(KEY);
  const s = new Olm.Session();
  s.create_inbound_from(bob, ids(aliceAcct), m.body);
  const plaintext = s.decrypt(m.type, m.body);
  if (removeKey) bob.remove_one_time_keys(s);
  steps.push({
    op: 'inbound', identity: ids(aliceAcct), accountBefore, type: m.type, body: m.body, plaintext,
    sessionAfter: s.pickle(KEY), accountAfter: bob.pickle(KEY), sessionId: s.session_id(),
  });
  return s;
}

const bob = account();
bob.generate_one_time_keys(3);
bob.generate_fallback_key();
const otk = Object.values(JSON.parse(bob.one_time_keys()).curve25519)[1];
const fallback = Object.values(JSON.parse(bob.unpublished_fallback_key()).curve25519)[0];
bob.mark_keys_as_published();

// One-time key session, with reordering and several ratchet steps.
const alice = account();
const a = new Olm.Session();
a.create_outbound(alice, ids(bob), otk);
steps.push({ op: 'outbound', session: a.pickle(KEY), sessionId: a.session_id() });
const a0 = encrypt('alice', a, 'a0');
const a1 = encrypt('alice', a, 'a1 — with some UTF-8 ✓');
const a2 = encrypt('alice', a, 'a2 '.repeat(30));
const b = inbound(bob, alice, a1, true);
decrypt('bob', b, a0);
decrypt('bob', b, a2);
const b0 = encrypt('bob', b, 'b0');
const b1 = encrypt('bob', b, 'b1');
const b2 = encrypt('bob', b, 'b2');
decrypt('alice', a, b2);
decrypt('alice', a, b0);
const a3 = encrypt('alice', a, 'a3');
const a4 = encrypt('alice', a, 'a4');
const b3 = encrypt('bob', b, 'b3');
decrypt('bob', b, a4);
decrypt('bob', b, a3);
decrypt('alice', a, b1);
decrypt('alice', a, b3);
const b4 = encrypt('bob', b, 'b4');
decrypt('alice', a, b4);
const a5 = encrypt('alice', a, 'a5');
decrypt('bob', b, a5);

// Fallback key session.
const carol = account();
const c = new Olm.Session();
c.create_outbound(carol, ids(bob), fallback);
const c0 = encrypt('carol', c, 'c0 via fallback');
const bc = inbound(bob, carol, c0, false);
const r = encrypt('bob', bc, 'r0');
decrypt('carol', c, r);

writeFileSync(new URL('./libolm_steps.json', import.meta.url), JSON.stringify({ pickleKey: KEY, steps }, null, 1) + '\n');
console.log(`${steps.length} steps`);
