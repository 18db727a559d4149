// Where mxcrypto's time to ready goes, per step of the loader, in Chromium
// (cold: a fresh profile per load; warm: later loads, compiled code cached)
// and in Node (a fresh process per load). With BENCH_BEFORE_DIST another
// build is timed too, interleaved load by load.
//
//   node scripts/bench/ready-phases.mjs [chromium|node|both] [runs]
//   BENCH_READY_PROFILE=1  also a CPU profile of one cold and one warm load
//                          (Chromium) or one load (Node), with the Go side
//                          split into runtime start, package init (per
//                          package) and main (wasm names from an unstripped
//                          build of this source);
//                          BENCH_READY_PROFILE_OUT=prefix keeps them as
//                          prefix-chromium-cold.cpuprofile etc.;
//                          BENCH_READY_PROFILE=before profiles the
//                          BENCH_BEFORE_DIST build instead, its names read
//                          from BENCH_READY_NAMES (a JSON list of [index,
//                          name] pairs from that source's unstripped build).
//
// Steps, ms: page (navigation to the page's script; Chromium only),
// loader (importing index.mjs and its modules), wasmExec (importing Go's
// wasm_exec.js), fetch (init() to the compile call: fetching or reading the
// bytes), compile (WebAssembly.compile or compileStreaming: download and
// compile overlap in the latter), instantiate, goRun (the synchronous part of
// the Go program: runtime start, package init, main until it hands out the
// API; includes V8 compiling each function on its first call), api (from
// there to init() resolving: the JS API assembly), total (ready).
import { timePhases } from './phases.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BEFORE = process.env.BENCH_BEFORE_DIST;
const PROFILE = !!process.env.BENCH_READY_PROFILE;
const PROFILED = process.env.BENCH_READY_PROFILE === 'before' ? 'before' : 'mxcrypto';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const STEPS = ['page', 'loader', 'wasmExec', 'fetch', 'compile', 'instantiate', 'goRun', 'api', 'total'];
const builds = () => ['mxcrypto', ...(BEFORE ? ['before'] : [])];
const dirOf = (b) => (b === 'before' ? BEFORE : join(root, 'dist'));

/** Steps of one load from the page's (or child's) raw timestamps. */
function steps(p) {
  const d = ([a, b] = [NaN, NaN]) => b - a;
  const compile = p.compileStreaming ?? p.compile;
  return {
    page: p.scriptStart,
    loader: d(p.importLoader),
    wasmExec: d(p.wasmExec),
    fetch: compile[0] - p.init[0],
    compile: d(compile),
    instantiate: d(p.instantiate),
    goRun: d(p.goRun),
    api: p.init[1] - p.goRun[1],
    total: p.readyMs,
  };
}

function print(title, rows) {
  console.log(`\n${title} (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`${''.padEnd(16)}${STEPS.map((s) => s.padStart(12)).join('')}`);
  for (const [label, runs] of Object.entries(rows)) {
    if (!runs.length) continue;
    console.log(`${label.padEnd(16)}${STEPS.map((s) => {
      const xs = runs.map((r) => r[s]).filter((x) => Number.isFinite(x));
      return (xs.length ? median(xs).toFixed(1) : '–').padStart(12);
    }).join('')}`);
  }
}

// --- the Go side of a CPU profile ---

let namesCache = null;
async function wasmNames() {
  if (!namesCache && process.env.BENCH_READY_NAMES) {
    const { readFileSync } = await import('node:fs');
    namesCache = new Map(JSON.parse(readFileSync(process.env.BENCH_READY_NAMES, 'utf8')));
  } else if (!namesCache) {
    const { analyse, buildUnstripped } = await import('./wasm-size.mjs');
    namesCache = analyse(buildUnstripped()).names;
  }
  return namesCache;
}

/**
 * Inclusive ms per node name of interest: the runtime's start (rt0_go),
 * package init (doInit1, and each package's init functions), main.main and
 * its main callees, and the compile/GC pseudo-frames.
 */
async function goSplit(profile, label, log = console.log) {
  if (process.env.BENCH_READY_PROFILE_OUT) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${process.env.BENCH_READY_PROFILE_OUT}-${label}.cpuprofile`, JSON.stringify(profile));
  }
  const names = await wasmNames();
  const nameOf = (cf) => {
    const m = /^(?:wasm-function\[|\$func)(\d+)\]?$/.exec(cf.functionName);
    return m ? names.get(Number(m[1])) ?? cf.functionName : cf.functionName || `(anonymous ${cf.url.split('/').pop()})`;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    let id = profile.samples[i];
    const leaf = nameOf(byId.get(id).callFrame);
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set();
    // The frame directly under doInit1 or main.main names the package or call that costs.
    let below = null;
    for (; id !== undefined; id = parent.get(id)) {
      const nm = nameOf(byId.get(id).callFrame);
      if ((nm === 'runtime.doInit1' || nm === 'main.main' || nm === 'github.com_mxcrypto_mxcrypto_jsbridge.API') && below) {
        const key = `${nm === 'runtime.doInit1' ? 'init' : nm === 'main.main' ? 'main' : 'API'} ${below}`;
        if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) ?? 0) + dt); }
      }
      if (!seen.has(nm)) { seen.add(nm); incl.set(nm, (incl.get(nm) ?? 0) + dt); }
      below = nm;
    }
  }
  const g = (k) => (incl.get(k) ?? 0).toFixed(1);
  log(`  run ${g('run')} ms (JS→Go entry); runtime start rt0_go ${g('runtime.rt0_go')} (schedinit ${g('runtime.schedinit')}); ` +
    `package init doInit1 ${g('runtime.doInit1')}; main.main ${g('main.main')}; GC ${g('(garbage collector)')}; program ${g('(program)')}`);
  const top = (prefix, n) => [...incl].filter(([k]) => k.startsWith(prefix)).sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `${v.toFixed(1)} ${k.slice(prefix.length).replace(/^github\.com_mxcrypto_mxcrypto_/, '')}`).join(', ');
  log(`  init by package: ${top('init ', 14)}`);
  log(`  main: ${top('main ', 6)}`);
  log(`  jsbridge.API: ${top('API ', 10)}`);
  log(`  self time: ${[...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(', ')}`);
}

// --- Chromium ---

async function chromiumRuns(runs) {
  const { chromium } = await import('playwright-core');
  const { serve, waitLoaded } = await import('./chromium.mjs');
  const { url, server } = await serve();
  const launch = async (dir) => chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const load = async (page, b, extra = '') => {
    await page.goto(`${url}?ready=${b}&phases${extra}`);
    await waitLoaded(page);
    return steps(await page.evaluate(() => ({ ...window.phases, scriptStart: window.scriptStart, readyMs: window.readyMs })));
  };
  const profiled = async (page, b, extra) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
    const s = await load(page, b, extra);
    const { profile } = await cdp.send('Profiler.stop');
    await cdp.detach();
    return { s, profile };
  };
  const cold = Object.fromEntries(builds().map((b) => [b, []]));
  const warm = Object.fromEntries(builds().map((b) => [b, []]));
  try {
    // Cold: each load in a fresh profile (nothing cached); a throwaway page
    // load first so that the browser's own start is not counted.
    for (let i = 0; i < runs; i++) {
      for (const b of i % 2 ? builds().reverse() : builds()) {
        const dir = await mkdtemp(join(tmpdir(), 'mxcrypto-ready-'));
        const ctx = await launch(dir);
        try {
          const page = ctx.pages()[0] ?? await ctx.newPage();
          await page.goto(`${url}scripts/bench/ready-phases.mjs`);
          cold[b].push(await load(page, b));
          if (i === 0) {
            await page.waitForTimeout(3000); // V8 caches compiled code some time after compiling
            for (let k = 0; k < runs; k++) warm[b].push(await load(page, b, `&run=${k}`));
            if (PROFILE && b === PROFILED) {
              const w = await profiled(page, b, '&run=profile');
              console.log(`\nChromium warm load of ${PROFILED}, profiled: ${JSON.stringify(w.s, (k, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}`);
              await goSplit(w.profile, 'chromium-warm');
            }
          }
        } finally {
          await ctx.close();
          await rm(dir, { recursive: true, force: true }).catch(() => {});
        }
      }
    }
    print(`Chromium cold, median of ${runs} (ms)`, cold);
    print(`Chromium warm, median of ${runs} (ms)`, warm);
    if (PROFILE) {
      const dir = await mkdtemp(join(tmpdir(), 'mxcrypto-ready-'));
      const ctx = await launch(dir);
      try {
        const page = ctx.pages()[0] ?? await ctx.newPage();
        await page.goto(`${url}scripts/bench/ready-phases.mjs`);
        const c = await profiled(page, PROFILED, '');
        console.log(`\nChromium cold load of ${PROFILED}, profiled: ${JSON.stringify(c.s, (k, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}`);
        await goSplit(c.profile, 'chromium-cold');
      } finally {
        await ctx.close();
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    }
  } finally {
    server.close();
  }
}

// --- Node ---

/** One load in this process (the child of nodeRuns): prints its timestamps. */
async function child(dir, profile) {
  const P = { scriptStart: NaN };
  const t0 = performance.now();
  let session;
  if (profile) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
  }
  await timePhases(P, async () => {
    globalThis.fs = (await import('node:fs')).default; // as the loader does before wasm_exec.js
    await import(new URL('wasm_exec.js', `file://${dir}/`).href);
  });
  let t;
  t = performance.now();
  const { init } = await import(new URL('index.mjs', `file://${dir}/`).href);
  P.importLoader = [t, performance.now()];
  t = performance.now();
  const mx = await init();
  P.init = [t, performance.now()];
  P.readyMs = performance.now() - t0;
  P.native = mx.nativeCrypto;
  if (session) P.profile = (await session.post('Profiler.stop')).profile;
  process.stdout.write(JSON.stringify(P));
}

async function nodeRuns(runs) {
  const rows = Object.fromEntries(builds().map((b) => [b, []]));
  const once = (b, profile = false) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dirOf(b), profile ? '1' : ''], { maxBuffer: 1 << 28 }).toString());
  for (let i = 0; i < runs; i++) {
    for (const b of i % 2 ? builds().reverse() : builds()) rows[b].push(steps(once(b)));
  }
  print(`Node ${process.version}, fresh process per load, median of ${runs} (ms)`, rows);
  if (PROFILE) {
    const p = once(PROFILED, true);
    console.log(`\nNode load of ${PROFILED}, profiled (native host: ${p.native}): ${JSON.stringify(steps(p), (k, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}`);
    await goSplit(p.profile, 'node');
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4] === '1');
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const where = process.argv[2] ?? 'both';
  const runs = Number(process.argv[3] ?? 7);
  if (where !== 'node') await chromiumRuns(runs);
  if (where !== 'chromium') await nodeRuns(runs);
}
