// Builds dist/, the npm package: the wasm modules, Go's wasm_exec.js and the
// JS package files with their types.
// Prints the module sizes raw, gzipped and brotli-compressed
// (scripts/bench/wasm-size.mjs says where the bytes go).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const goEnv = { ...process.env, GOOS: 'js', GOARCH: 'wasm' };
// Two modules from one main: the full one, and the core build without the
// store and device APIs (about 400 KiB smaller gzipped).
// The test module adds _debug (panic, exit, sleep) for the tests that need
// it; it is never what a user loads.
const modules = [['mxcrypto.wasm', []], ['mxcrypto-core.wasm', ['-tags', 'mxcrypto_core']], ['mxcrypto-test.wasm', ['-tags', 'mxcrypto_debug']]];
for (const [name, tags] of modules) {
  execFileSync('go', ['build', '-trimpath', ...tags, '-ldflags=-s -w', '-o', join(dist, name), './wasm/mxcrypto'], { cwd: root, env: goEnv, stdio: 'inherit' });
}

const goroot = execFileSync('go', ['env', 'GOROOT'], { cwd: root, encoding: 'utf8' }).trim();
copyFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'), join(dist, 'wasm_exec.js'));

// The npm package is dist/: the JS package files (jsbridge/js/, written to
// sit next to the module and the runtime) are copied as they are.
// Files of an earlier build that the source no longer has are removed.
const pkgSrc = join(root, 'jsbridge', 'js');
for (const f of readdirSync(dist)) {
  if (f.endsWith('.mjs') && !existsSync(join(pkgSrc, f))) rmSync(join(dist, f));
}
for (const f of readdirSync(pkgSrc)) {
  if (f.endsWith('.mjs') || f === 'index.d.ts') copyFileSync(join(pkgSrc, f), join(dist, f));
}
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');

// The web page (web/, Go with dom/v2): its own module, which calls
// mxcrypto's JS API; dist/web is what scripts/serve.mjs serves (with dist/
// itself under /mxcrypto/). Same Go, so the same wasm_exec.js.
const web = join(dist, 'web');
mkdirSync(web, { recursive: true });
execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', join(web, 'page.wasm'), './web'], { cwd: root, env: goEnv, stdio: 'inherit' });
for (const f of readdirSync(join(root, 'web', 'static'))) copyFileSync(join(root, 'web', 'static', f), join(web, f));
copyFileSync(join(dist, 'wasm_exec.js'), join(web, 'wasm_exec.js'));

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const name of [...modules.map(([n]) => n), 'web/page.wasm']) {
  const wasm = readFileSync(join(dist, name));
  // Brotli at quality 11 takes seconds per module: only for the two users load.
  const br = name === 'mxcrypto.wasm' || name === 'mxcrypto-core.wasm'
    ? `, ${kb(brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: wasm.length } }).length)} brotli`
    : '';
  console.log(`built dist/${name}: ${kb(statSync(join(dist, name)).size)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip${br}`);
}
