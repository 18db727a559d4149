// The key-backup Worker: build it and run it locally under workerd (miniflare).
//
//   node scripts/worker.mjs build                      # wasm/backupproxy/build/, prints sizes
//   node scripts/worker.mjs start --upstream URL [--port P] [--dbs DB0,DB1]
//
// As a module (the tests): buildWorker(), startWorker({ upstreamUrl, ... }).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const workerDir = join(root, 'wasm', 'backupproxy');
export const buildDir = join(workerDir, 'build');
export const migrationsDir = join(workerDir, 'migrations');

// The compatibility date the Worker is tested with (wrangler.jsonc has the same).
export const compatibilityDate = JSON.parse(stripJSONComments(readFileSync(join(workerDir, 'wrangler.jsonc'), 'utf8'))).compatibility_date;

function stripJSONComments(text) {
  return text.replace(/^\s*\/\/.*$/gm, '');
}

// buildWorker builds as syumai/workers' template does: its workers-assets-gen
// (a Go tool pinned in go.mod) wipes build/ and writes wasm_exec.js,
// runtime.mjs and worker.mjs, then the Go main is compiled with the standard
// toolchain (GOOS=js GOARCH=wasm) to build/app.wasm. Our worker.mjs, which
// keeps Go instances per isolate, then replaces the generated one (which
// starts an instance per request); it imports the other two.
export function buildWorker({ quiet = false } = {}) {
  execFileSync('go', ['tool', 'workers-assets-gen', '-mode=go', '-o', buildDir], { cwd: root, stdio: 'inherit' });
  const wasm = join(buildDir, 'app.wasm');
  execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', wasm, './wasm/backupproxy'], {
    cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: 'inherit',
  });
  copyFileSync(join(workerDir, 'worker.mjs'), join(buildDir, 'worker.mjs'));
  const raw = statSync(wasm).size;
  const gzip = gzipSync(readFileSync(wasm), { level: 9 }).length;
  if (!quiet) console.log(`built wasm/backupproxy/build/app.wasm: ${(raw / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip`);
  return { raw, gzip };
}

// migrationStatements splits migrations/*.sql into statements (triggers'
// BEGIN … END bodies kept whole), in file order as wrangler applies them.
export function migrationStatements() {
  const out = [];
  for (const f of readdirSync(migrationsDir).filter((n) => n.endsWith('.sql')).sort()) {
    let cur = [];
    let inBody = false;
    for (const line of readFileSync(join(migrationsDir, f), 'utf8').split('\n')) {
      const code = line.replace(/--.*$/, '').trimEnd();
      if (!code.trim()) continue;
      cur.push(code);
      if (/\bBEGIN$/i.test(code)) inBody = true;
      else if (inBody ? /^\s*END;$/i.test(code) : code.endsWith(';')) {
        out.push(cur.join('\n'));
        cur = [];
        inBody = false;
      }
    }
    if (cur.length) throw new Error(`${f}: statement without a final ';'`);
  }
  return out;
}

// startWorker runs build/worker.mjs under workerd with local in-memory D1
// databases (migrated; persistDir keeps them on disk instead, and migrate:
// false skips migrating ones already made), listening on 127.0.0.1. Returns { url, mf, d1(name),
// workerdPids(), stop() }.
// script: another Worker's source (an ES module) to run instead, with the
// same bindings (the CPU baseline of a plain JS Worker).
export async function startWorker({ upstreamUrl, dbs = ['DB0', 'DB1'], port = 0, vars = {}, migrate = true, script, persistDir } = {}) {
  const { Miniflare, Log, LogLevel } = await import('miniflare');
  const before = new Set(childPids(process.pid));
  const mf = new Miniflare({
    host: '127.0.0.1',
    port,
    modules: true,
    ...(script ? { script } : { scriptPath: join(buildDir, 'worker.mjs') }),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate,
    d1Databases: Object.fromEntries(dbs.map((n) => [n, `local-${n}`])),
    d1Persist: persistDir ?? false, // a directory keeps the D1 databases between runs (npm start)
    bindings: { UPSTREAM_URL: upstreamUrl, BACKUP_DBS: dbs.join(','), ...vars },
    // WORKER_LOG=1 shows the Worker's console (its error lines) while debugging.
    ...(process.env.WORKER_LOG ? { log: new Log(LogLevel.DEBUG) } : {}),
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const pids = childPids(process.pid).filter((p) => !before.has(p) && commandOf(p).includes('workerd'));
  if (migrate) {
    const statements = migrationStatements();
    for (const n of dbs) {
      const db = await mf.getD1Database(n);
      await db.batch(statements.map((s) => db.prepare(s)));
    }
  }
  return {
    url,
    mf,
    d1: (name) => mf.getD1Database(name),
    // The workerd process running this Worker (for CPU readings).
    workerdPids: () => pids,
    stop: () => mf.dispose(),
  };
}

function childPids(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
  } catch {
    return [];
  }
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

// cpuSeconds is the user+system CPU a process has used (Linux /proc).
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  const opt = (name, def) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : def;
  };
  if (cmd === 'build') {
    buildWorker();
    return;
  }
  if (cmd === 'start') {
    const upstreamUrl = opt('upstream');
    if (!upstreamUrl) throw new Error('start: --upstream URL is required');
    buildWorker();
    const w = await startWorker({ upstreamUrl, port: Number(opt('port', '0')), dbs: opt('dbs', 'DB0,DB1').split(',') });
    console.log(JSON.stringify({ url: w.url, upstreamUrl }));
    const stop = async () => { await w.stop(); process.exit(0); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }
  console.error('usage: node scripts/worker.mjs build | start --upstream URL [--port P] [--dbs DB0,DB1]');
  process.exit(2);
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  main(process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });
}
