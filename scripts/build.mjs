// Builds dist/: the wasm module, Go's wasm_exec.js and the loader with types.
// Prints the module sizes raw and gzipped.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
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

// The loader in dist/ sits next to the module and the runtime.
const loader = readFileSync(join(root, 'jsbridge', 'index.mjs'), 'utf8')
  .replace("new URL('../dist/mxcrypto.wasm', import.meta.url)", "new URL('./mxcrypto.wasm', import.meta.url)")
  .replace("new URL('../dist/wasm_exec.js', import.meta.url)", "new URL('./wasm_exec.js', import.meta.url)");
if (!loader.includes("new URL('./mxcrypto.wasm'") || !loader.includes("new URL('./wasm_exec.js'")) {
  throw new Error('build: the loader URL lines changed; update scripts/build.mjs');
}
writeFileSync(join(dist, 'index.mjs'), loader);
for (const f of readdirSync(join(root, 'jsbridge'))) {
  if (f.endsWith('.mjs') && f !== 'index.mjs') copyFileSync(join(root, 'jsbridge', f), join(dist, f));
}
copyFileSync(join(root, 'jsbridge', 'index.d.ts'), join(dist, 'index.d.ts'));
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
  console.log(`built dist/${name}: ${kb(statSync(join(dist, name)).size)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip`);
}
