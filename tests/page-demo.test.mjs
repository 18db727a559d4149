// `npm start`'s last step, scripts/demo.mjs, comes up on a fresh state
// directory with free ports (Synapse, the backup Worker, the page server,
// the demo users and room, the bot), prints the page URL and the
// credentials, serves the page with its headers, and Ctrl-C (SIGINT) stops
// every process it started. A second run on the same state is warm.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../scripts/demo.mjs', import.meta.url));

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Runs demo.mjs until it prints the URL; resolves to { url, out, pids, ms, stop() }. */
function runDemo(state) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [demo, '--state', state, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  let out = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m && /Ctrl-C stops everything/.test(out)) {
        const pids = [...out.matchAll(/pid (\d+)/g)].map((x) => Number(x[1]));
        resolve({ url: m[1], out, pids, ms: performance.now() - t0, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    exited.then((code) => reject(new Error(`demo exited (${code}) before printing its URL:\n${out}`)));
    setTimeout(() => { stop(); reject(new Error(`no URL after 300 s:\n${out}`)); }, 300_000).unref();
  });
}

test('the demo comes up, prints its URL and credentials, serves the page, and Ctrl-C stops everything it started', { timeout: 900_000 }, async () => {
  const state = await mkdtemp(join(tmpdir(), 'mxcrypto-demo-'));
  let run;
  try {
    run = await runDemo(state);
    assert.match(run.out, /alice {2}password alice-[0-9a-f]{8}/);
    assert.match(run.out, /bob {4}password bob-[0-9a-f]{8}/);
    assert.match(run.out, /bot @bot:localhost \(pid \d+, device [A-Z]{10}\)/);
    assert.ok(run.pids.length >= 3, `Synapse, workerd and the bot PIDs are printed: ${run.pids}`);
    for (const pid of run.pids) assert.ok(alive(pid), `pid ${pid} runs`);

    const html = await fetch(run.url);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-security-policy'), /script-src 'self' 'wasm-unsafe-eval'/);
    assert.equal(html.headers.get('cache-control'), 'no-cache');
    const wasm = await fetch(new URL('page.wasm', run.url));
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.match(wasm.headers.get('cache-control'), /max-age=/);
    const config = await (await fetch(new URL('config.json', run.url))).json();
    const versions = await fetch(`${config.homeserverUrl}/_matrix/client/versions`);
    assert.equal(versions.status, 200, 'the page\'s homeserver (the backup proxy) answers');
    const first = run.ms;

    assert.equal(await run.stop(), 0);
    for (const pid of run.pids) assert.ok(!alive(pid), `pid ${pid} was stopped`);

    // Second run: the same users, from the kept state.
    run = await runDemo(state);
    assert.match(run.out, /users and room from the last run/);
    console.log(`# demo.mjs to the printed URL: ${(first / 1000).toFixed(1)} s fresh, ${(run.ms / 1000).toFixed(1)} s on the second run`);
    assert.equal(await run.stop(), 0);
    for (const pid of run.pids) assert.ok(!alive(pid), `pid ${pid} was stopped`);
  } finally {
    await run?.stop();
    await rm(state, { recursive: true, force: true });
  }
});
