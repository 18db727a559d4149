// wrangler (the deploy tool) accepts the Worker as configured: `wrangler
// deploy --dry-run` runs the build and bundles it, and `wrangler d1
// migrations apply --local` applies migrations/ to a D1 database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const workerDir = join(root, 'wasm', 'backupproxy');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1', CI: '1' };

test('wrangler deploy --dry-run builds the bundle', { timeout: 180000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'bp-dry-'));
  try {
    const { stdout } = await run(wrangler, ['deploy', '--dry-run', '--outdir', out], { cwd: workerDir, env, timeout: 170000 });
    assert.match(stdout, /Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    assert.match(stdout, /env\.DB0 .*D1 Database/);
    assert.match(stdout, /env\.DB1 .*D1 Database/);
    const files = readdirSync(out);
    assert.ok(files.includes('worker.js') || files.includes('worker.mjs'), files.join(','));
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, files.join(','));
    assert.ok(statSync(join(out, wasm[0])).size > 1 << 20);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('wrangler d1 migrations apply --local applies migrations/', { timeout: 180000 }, async () => {
  const persist = mkdtempSync(join(tmpdir(), 'bp-d1-'));
  try {
    await run(wrangler, ['d1', 'migrations', 'apply', 'DB0', '--local', '--persist-to', persist], { cwd: workerDir, env, timeout: 170000 });
    const { stdout } = await run(wrangler, ['d1', 'execute', 'DB0', '--local', '--persist-to', persist, '--json',
      '--command', "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name"], { cwd: workerDir, env, timeout: 170000 });
    const names = JSON.parse(stdout)[0].results.map((r) => r.name);
    for (const n of ['backup_keys', 'backup_versions', 'backup_keys_insert', 'backup_keys_update', 'backup_keys_delete', 'd1_migrations']) {
      assert.ok(names.includes(n), `${n} in ${names}`);
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
});
