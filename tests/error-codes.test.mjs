// Codes the JS side raises itself are public codes too: each one must be in
// index.d.ts's MxCryptoErrorCode union, which errcode's test ties to
// the Go declarations and the README. The JS files are read as text (a
// literal code in mxError('CODE', …), LOADER_CODES' values, BATCH_CODES'
// entries), so a new code raised from JS fails here until it is declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../jsbridge/js/', import.meta.url);
const read = (f) => readFileSync(new URL(f, dir), 'utf8');

function declaredCodes() {
  const m = read('index.d.ts').match(/export type MxCryptoErrorCode\s*=([^;]*);/);
  assert.ok(m, 'index.d.ts: no MxCryptoErrorCode union');
  return new Set([...m[1].replace(/\/\/[^\n]*/g, '').matchAll(/'([^']*)'/g)].map((x) => x[1]));
}

function raisedCodes() {
  const found = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs'))) {
    const src = read(f);
    for (const [, code] of src.matchAll(/mxError\(\s*'([^']*)'/g)) found.push([f, code]);
    const loader = src.match(/const LOADER_CODES = \{([^}]*)\}/);
    if (loader) for (const [, code] of loader[1].matchAll(/'([^']*)'/g)) found.push([`${f} LOADER_CODES`, code]);
    const batch = src.match(/const BATCH_CODES = (?:Object\.freeze\()?\[([^\]]*)\]/);
    if (batch) for (const [, code] of batch[1].matchAll(/'([^']*)'/g)) if (code) found.push([`${f} BATCH_CODES`, code]);
  }
  return found;
}

test('every code the JS loader raises is a declared public code', () => {
  const declared = declaredCodes();
  const raised = raisedCodes();
  assert.ok(raised.length > 20, `only ${raised.length} codes found: has the loader's style changed?`);
  const unknown = raised.filter(([, code]) => !declared.has(code));
  assert.deepEqual(unknown, [], 'raised from JS but not in MxCryptoErrorCode (declare it in errcode, index.d.ts and the README)');
});

// (tests/wire-golden.test.mjs and internal/bridgewire's golden test also
// check both lists against testdata/wire/cases.json.)
test('BATCH_CODES in wireformat.mjs equals BatchCodes in internal/bridgewire', () => {
  const js = read('wireformat.mjs').match(/const BATCH_CODES = Object\.freeze\(\[([^\]]*)\]/);
  const goSrc = readFileSync(new URL('../internal/bridgewire/batch.go', import.meta.url), 'utf8').match(/var BatchCodes = \[\]errcode\.Code\{([^}]*)\}/);
  assert.ok(js && goSrc, 'BATCH_CODES or BatchCodes not found');
  const jsCodes = [...js[1].matchAll(/'([^']*)'/g)].map((x) => x[1]);
  // errcode's constant names → values, read from its declarations.
  const errcodeSrc = readFileSync(new URL('../errcode/errcode.go', import.meta.url), 'utf8');
  const goNames = Object.fromEntries([...errcodeSrc.matchAll(/^\s*([A-Z]\w*)\s+Code\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  const goCodes = goSrc[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === '""' ? '' : goNames[s.replace('errcode.', '')] ?? s));
  assert.deepEqual(jsCodes, goCodes);
});
