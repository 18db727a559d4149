// What `npm pack` would publish: exactly the loader, its modules, the types
// and the wasm files (plus the package.json, README and LICENSE npm always
// adds), and every file the export map names is among them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function packedFiles() {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out)[0].files.map((f) => f.path).sort();
}

test('npm pack lists exactly the loader, its modules, index.d.ts and the wasm files', () => {
  // The package is dist/: the build copies jsbridge/js/ there unchanged.
  const modules = readdirSync(new URL('../jsbridge/js/', import.meta.url)).filter((f) => f.endsWith('.mjs')).map((f) => `dist/${f}`);
  const want = [
    'LICENSE', 'README.md', 'package.json',
    ...modules, 'dist/index.d.ts',
    'dist/mxcrypto.wasm', 'dist/mxcrypto-core.wasm', 'dist/wasm_exec.js',
  ].sort();
  assert.deepEqual(packedFiles(), want);
});

test('every file named by the export map is published', () => {
  const files = new Set(packedFiles());
  const targets = [];
  const walk = (v) => (typeof v === 'string' ? targets.push(v.replace(/^\.\//, '')) : Object.values(v).forEach(walk));
  walk(pkg.exports);
  for (const t of targets) assert.ok(files.has(t), `${t} is exported but not in "files"`);
  for (const cond of ['workerd', 'worker', 'browser', 'node', 'types', 'default']) assert.ok(pkg.exports['.'][cond], `no "${cond}" condition`);
});
