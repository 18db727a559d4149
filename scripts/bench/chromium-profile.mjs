// Where the time of one Chromium benchmark workload goes: loads the bench
// page (scripts/bench/chromium.html), warms the workload up, records a CPU
// profile over several rounds through the DevTools protocol and prints the
// functions with the most self time (and the share in wasm, JS and idle).
//
//   node scripts/bench/chromium-profile.mjs W3 [mxcrypto|libolm|rust] [rounds]
// BENCH_PROFILE_TOP (default 25) lines; BENCH_PROFILE_TOTAL=regex adds the
// functions whose names match, by total time (self and callees; each
// sample counted once per function); BENCH_PROFILE_OUT=file.cpuprofile
// keeps the raw profile for DevTools. For mxcrypto, wasm function indices
// are named from a build of the same source that keeps its name section.
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { analyse, buildUnstripped, packageOf } from './wasm-size.mjs';

const [workload = 'W3', impl = 'mxcrypto', roundsArg = '10'] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 25);
const root = fileURLToPath(new URL('../..', import.meta.url));
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

// Stripping removes only the name section, so indices match dist's module.
const names = impl === 'mxcrypto' ? analyse(buildUnstripped()).names : new Map();
const nameOf = (fn) => {
  const m = /^wasm-function\[(\d+)\]$/.exec(fn);
  return m && names.has(Number(m[1])) ? names.get(Number(m[1])) : fn;
};
// merge adds profile b's samples to a (node ids renumbered past a's).
function merge(a, b) {
  const shift = Math.max(...a.nodes.map((n) => n.id));
  return { ...a, nodes: [...a.nodes, ...b.nodes.map((n) => ({ ...n, id: n.id + shift, children: n.children?.map((c) => c + shift) }))], samples: [...a.samples, ...b.samples.map((s) => s + shift)] };
}
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = join(root, path === '/' ? 'scripts/bench/chromium.html' : path);
  if (!file.startsWith(root)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
const profileDir = await mkdtemp(join(tmpdir(), 'mxcrypto-profile-'));
const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.loaded || window.loadError, null, { timeout: 120_000 });
  const err = await page.evaluate(() => window.loadError);
  if (err) throw new Error(err);
  const round = () => page.evaluate(([w, i]) => window.bench.round(w, i), [workload, impl]);
  for (let i = 0; i < 3; i++) await round(); // warm-up: tier-up of hot wasm functions
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  // Only the timed part of each round is profiled, not its preparation.
  const rates = [];
  let profile = null;
  for (let i = 0; i < ROUNDS; i++) {
    await page.evaluate(([w, i]) => window.bench.prepare(w, i), [workload, impl]);
    await cdp.send('Profiler.start');
    rates.push(await page.evaluate(() => window.bench.runPrepared()));
    const part = (await cdp.send('Profiler.stop')).profile;
    profile = profile ? merge(profile, part) : part;
  }
  if (process.env.BENCH_PROFILE_OUT) await writeFile(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  let total = 0;
  for (const [id, c] of counts) {
    const { functionName, url: u } = byId.get(id).callFrame;
    const name = nameOf(functionName) || `(anonymous ${u.split('/').pop()})`;
    const kind = /^wasm-function|^\$/.test(functionName) || u.startsWith('wasm://') ? 'wasm' : u ? 'js' : 'vm';
    const key = `${name}\t${kind}`;
    self.set(key, (self.get(key) ?? 0) + c);
    total += c;
  }
  const kinds = {};
  for (const [key, c] of self) {
    const kind = key.split('\t')[1];
    kinds[kind] = (kinds[kind] ?? 0) + c;
  }
  const packages = new Map();
  for (const [key, c] of self) {
    const [name, kind] = key.split('\t');
    const p = kind === 'wasm' && !name.startsWith('wasm-function') ? packageOf(name) : kind;
    packages.set(p, (packages.get(p) ?? 0) + c);
  }
  const pct = (c) => `${((100 * c) / total).toFixed(1)}%`.padStart(6);
  rates.sort((a, b) => a - b);
  console.log(`${workload} ${impl}: ${rates[Math.floor(rates.length / 2)].toFixed(0)} ops/s median of ${ROUNDS} rounds, load ${loadavg()[0].toFixed(2)}, ${total} samples`);
  console.log(`by kind: ${Object.entries(kinds).map(([k, c]) => `${k} ${pct(c).trim()}`).join(', ')}`);
  console.log(`by package (self time): ${[...packages].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([p, c]) => `${p} ${pct(c).trim()}`).join(', ')}`);
  for (const [key, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    const [name, kind] = key.split('\t');
    console.log(`${pct(c)}  ${kind.padEnd(4)} ${name}`);
  }
  if (process.env.BENCH_PROFILE_TOTAL) {
    const want = new RegExp(process.env.BENCH_PROFILE_TOTAL);
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const totals = new Map();
    for (const [id, c] of counts) {
      const seen = new Set();
      for (let n = id; n !== undefined; n = parent.get(n)) {
        const name = nameOf(byId.get(n).callFrame.functionName);
        if (want.test(name)) seen.add(name);
      }
      for (const name of seen) totals.set(name, (totals.get(name) ?? 0) + c);
    }
    console.log(`by total time (${process.env.BENCH_PROFILE_TOTAL}):`);
    for (const [name, c] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(c)}  ${name}`);
  }
} finally {
  await context.close();
  server.close();
  await rm(profileDir, { recursive: true, force: true }).catch(() => {});
}
