// The npm package in a Cloudflare Worker, as wrangler bundles it: a tiny
// Worker (tests/worker/package-worker.mjs) imports `mxcrypto` (export
// condition workerd → dist/bundled.mjs) and `mxcrypto/mxcrypto.wasm` (a
// WebAssembly.Module), is bundled with `wrangler deploy --dry-run`, and runs
// under workerd through Miniflare, with and without nodejs_compat: an Olm
// message from one account to another, and a key backup round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
const COMPATIBILITY_DATE = '2026-04-01';

async function bundle(dir, flags) {
  const out = join(dir, flags.length ? 'out-compat' : 'out');
  const args = ['deploy', 'worker.mjs', '--dry-run', '--outdir', out, '--name', 'mxcrypto-package-test', '--compatibility-date', COMPATIBILITY_DATE];
  for (const f of flags) args.push('--compatibility-flags', f);
  await promisify(execFile)(WRANGLER, args, {
    cwd: dir,
    timeout: 120_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' },
  });
  return out;
}

/** Runs the bundle in out/ under workerd and returns the Worker's JSON answer. */
async function run(out, flags) {
  // Modules are listed explicitly, as `wrangler dev` does: Miniflare's own
  // discovery refuses the loader's dynamic import() of a computed URL.
  const modules = [{ type: 'ESModule', path: 'worker.js', contents: readFileSync(join(out, 'worker.js'), 'utf8') }];
  for (const f of readdirSync(out)) {
    if (f.endsWith('.wasm')) modules.push({ type: 'CompiledWasm', path: f, contents: readFileSync(join(out, f)) });
  }
  const mf = new Miniflare({ modules, modulesRoot: '/', compatibilityDate: COMPATIBILITY_DATE, compatibilityFlags: flags });
  try {
    const res = await mf.dispatchFetch('http://localhost/');
    const body = await res.json();
    return { status: res.status, body };
  } finally {
    await mf.dispose(); // stops the workerd process it started
  }
}

test('the package runs in a Worker bundled by wrangler, with and without nodejs_compat', { timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(join(ROOT, 'dist', 'mxcrypto.wasm')), 'dist/mxcrypto.wasm is missing: run `npm run build`');
  const dir = mkdtempSync(join(tmpdir(), 'mxcrypto-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'mxcrypto'), 'dir');
  copyFileSync(join(ROOT, 'tests', 'worker', 'package-worker.mjs'), join(dir, 'worker.mjs'));

  for (const flags of [[], ['nodejs_compat']]) {
    const out = await bundle(dir, flags);
    const bundled = readFileSync(join(out, 'worker.js'), 'utf8');
    assert.match(bundled, /globalThis\.Go\s*=/, 'the bundle includes the Go runtime (wasm_exec.js)');
    const { status, body } = await run(out, flags);
    assert.equal(status, 200, `${flags.join(',') || 'no flags'}: ${JSON.stringify(body)}`);
    assert.deepEqual(body.steps, ['init', 'olm:hello from a Worker', 'backup:true']);
  }
});
