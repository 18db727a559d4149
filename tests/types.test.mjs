// jsbridge/js/index.d.ts is valid TypeScript and types the documented usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function typeCheck(file) {
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', file];
  let out = '';
  try {
    out = execFileSync(process.execPath, args, { encoding: 'utf8' });
  } catch (e) {
    out = `${e.stdout}${e.stderr}`;
  }
  return out.trim();
}

test('index.d.ts type-checks a usage example under strict TypeScript', () => {
  assert.equal(typeCheck('tests/types/usage.ts'), '');
});

test('an ESM consumer importing "mxcrypto" by name type-checks under strict TypeScript', () => {
  assert.equal(typeCheck('tests/types/consumer.mts'), '');
});
