// The Chromium section of `npm run bench`: mxcrypto, libolm and
// matrix-sdk-crypto-wasm in one page of Debian's Chromium (driven with
// playwright-core, no browser download), the workloads of
// chromium-workloads.mjs interleaved over several rounds, medians and
// ratios; then the same in a dedicated Worker of a fresh page
// (chromium-worker.js), where clients run their crypto off the UI thread;
// and the time to ready of each library, cold (first load in a fresh
// profile) and warm (later loads, compiled code cached).
//
// BENCH_CHROMIUM_ROUNDS (default 5) rounds; BENCH_CHROMIUM_WORKLOADS=W1,W3
// picks workloads (none: only the time to ready); BENCH_CHROMIUM_WHERE=page,worker
// (default both) where they run. BENCH_BEFORE_DIST=/path/to/other/dist adds that build of
// mxcrypto as "before" (served at /dist-before/), interleaved like the rest.
// BENCH_CHROMIUM_COLD_RUNS (default 3) cold loads per library, each in a
// fresh browser; BENCH_CHROMIUM_READY_RUNS (default 5) warm loads.
// Run alone: node scripts/bench/chromium.mjs
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ROUNDS = Number(process.env.BENCH_CHROMIUM_ROUNDS ?? 5);
const READY_RUNS = Number(process.env.BENCH_CHROMIUM_READY_RUNS ?? 5);
const COLD_RUNS = Number(process.env.BENCH_CHROMIUM_COLD_RUNS ?? 3);
const root = fileURLToPath(new URL('../..', import.meta.url));
const BEFORE = process.env.BENCH_BEFORE_DIST;
const WHERE = (process.env.BENCH_CHROMIUM_WHERE ?? 'page,worker').split(',');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Serves the repository on 127.0.0.1 with Cache-Control, as a site would:
 * Chromium keeps compiled wasm code only for responses in its HTTP cache.
 */
export async function serve() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const before = BEFORE && path.startsWith('/dist-before/');
    const base = before ? join(BEFORE, '/') : root;
    const file = before ? join(BEFORE, path.slice('/dist-before/'.length)) : join(root, path === '/' ? 'scripts/bench/chromium.html' : path);
    if (!file.startsWith(base)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'max-age=3600' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, server };
}

export async function waitLoaded(page) {
  await page.waitForFunction(() => window.loaded || window.loadError, null, { timeout: 120_000 });
  const err = await page.evaluate(() => window.loadError);
  if (err) throw new Error(`bench page: ${err}`);
}

/**
 * Loads the bench page at pageUrl (libraries in the page, or with ?worker in
 * its dedicated Worker) and runs the picked workloads, implementations
 * interleaved in an order that rotates with the round: workload → impl → ops/s per round.
 */
async function rounds(page, pageUrl) {
  await page.goto(pageUrl);
  await waitLoaded(page);
  const available = await page.evaluate(() => window.bench.workloads);
  const only = process.env.BENCH_CHROMIUM_WORKLOADS?.split(',');
  const workloads = Object.keys(available).filter((w) => !only || only.includes(w));
  const results = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const w of workloads) {
      const impls = available[w];
      for (let k = 0; k < impls.length; k++) {
        const impl = impls[(k + r) % impls.length];
        const opsPerSecond = await page.evaluate(([w, impl]) => window.bench.round(w, impl), [w, impl]);
        ((results[w] ??= {})[impl] ??= []).push(opsPerSecond);
      }
    }
  }
  return results;
}

/** Runs the section; row(group, name, value, unit, note) prints a line. */
export async function benchChromium(row) {
  if (WHERE.some((w) => w !== 'page' && w !== 'worker')) throw new Error(`BENCH_CHROMIUM_WHERE=${WHERE}: page, worker or both`);
  if (!existsSync(CHROMIUM)) {
    row('chromium', 'skipped', 'n/a', 'size', `${CHROMIUM} is missing`);
    return;
  }
  const { url, server } = await serve();
  const launch = (dir) => chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const libsReady = ['mxcrypto', 'libolm', 'rust', ...(BEFORE ? ['before'] : [])];
  // Cold: each load in a fresh browser and profile, the order rotating by
  // round. In one browser the first library loaded paid ~300-500 ms more
  // than the same build loaded after others (the browser's and V8's first
  // wasm compile), which made the order, not the library, decide.
  const coldRuns = Object.fromEntries(libsReady.map((l) => [l, []]));
  for (let r = 0; r < COLD_RUNS; r++) {
    for (let k = 0; k < libsReady.length; k++) {
      const lib = libsReady[(k + r) % libsReady.length];
      const dir = await mkdtemp(join(tmpdir(), 'mxcrypto-bench-chromium-cold-'));
      const ctx = await launch(dir);
      try {
        const page = ctx.pages()[0] ?? await ctx.newPage();
        await page.goto(`${url}package.json`); // the profile's first navigation, untimed
        await page.goto(`${url}?ready=${lib}`);
        await waitLoaded(page);
        coldRuns[lib].push(await page.evaluate(() => window.readyMs));
      } finally {
        await ctx.close();
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    }
  }
  const cold = Object.fromEntries(libsReady.map((l) => [l, median(coldRuns[l])]));
  const profile = await mkdtemp(join(tmpdir(), 'mxcrypto-bench-chromium-'));
  const context = await launch(profile);
  try {
    const page = context.pages()[0] ?? await context.newPage();
    // Warm: first a load of each library to fill the caches, untimed.
    for (const lib of libsReady) {
      await page.goto(`${url}?ready=${lib}`);
      await waitLoaded(page);
    }
    await page.waitForTimeout(3000); // code caching happens after compilation
    const warm = Object.fromEntries(libsReady.map((l) => [l, []]));
    for (let i = 0; i < READY_RUNS; i++) {
      for (const lib of libsReady) {
        await page.goto(`${url}?ready=${lib}&run=${i}`);
        await waitLoaded(page);
        warm[lib].push(await page.evaluate(() => window.readyMs));
      }
    }

    const impls = ['mxcrypto', 'libolm', 'rust', ...(BEFORE ? ['before'] : [])];
    const version = context.browser()?.version() ?? '';
    const runs = {};
    // BENCH_CHROMIUM_WORKLOADS=none: time to ready only.
    for (const where of process.env.BENCH_CHROMIUM_WORKLOADS === 'none' ? [] : WHERE) {
      const results = await rounds(page, `${url}?${[where === 'worker' && 'worker', BEFORE && 'before'].filter(Boolean).join('&')}`);
      const G = `Chromium ${version}${where === 'worker' ? ' dedicated Worker' : ''} ops/s, median of ${ROUNDS} rounds (load ${loadavg()[0].toFixed(2)})`;
      // Medians, and the best round (the least disturbed by other load on the
      // machine, so the fairer comparison when it is busy).
      for (const [w, byImpl] of Object.entries(results)) {
        for (const [label, pick] of [['median', median], ['best', (xs) => Math.max(...xs)]]) {
          const m = Object.fromEntries(Object.entries(byImpl).map(([impl, xs]) => [impl, pick(xs)]));
          const ratio = (peer) => (m[peer] ? `×${(m.mxcrypto / m[peer]).toFixed(2)} ${peer}` : '');
          row(G, `${w} ${label} ${impls.join(' / ')}`, impls.map((i) => (m[i] ? m[i].toFixed(0) : '–')).join(' / '), 'size',
            [ratio('libolm'), ratio('rust'), ratio('before')].filter(Boolean).join(', '));
        }
      }
      runs[where] = results;
    }
    const R = `Chromium ready, ms since navigation (cold median of ${COLD_RUNS} fresh browsers / warm median / warm best; load ${loadavg()[0].toFixed(2)})`;
    for (const lib of libsReady) {
      row(R, lib, `${cold[lib].toFixed(0)} / ${median(warm[lib]).toFixed(0)} / ${Math.min(...warm[lib]).toFixed(0)}`, 'size', lib === 'mxcrypto' ? '(target ≤ 250 / ≤ 120)' : '');
    }
    return { results: runs.page, worker: runs.worker, cold, warm };
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchChromium((group, name, value, unit, note = '') => {
    console.log(`${group.padEnd(26)} ${name.padEnd(44)} ${String(value).padStart(16)} ${note}`);
  });
}
