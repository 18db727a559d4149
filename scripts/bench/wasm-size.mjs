// Where the bytes of a Go wasm module go: raw, gzip -9 and brotli sizes,
// the code section per Go package (from the name section, so the module
// must be built without -s -w), and the data section split by the runtime's own table addresses: type
// metadata and strings, and pclntab's function names, pc-value tables,
// function records and funcdata.
//
//   node scripts/bench/wasm-size.mjs            builds the full module unstripped and prints
//   node scripts/bench/wasm-size.mjs core 40    the core build (-tags mxcrypto_core), top 40
//   node scripts/bench/wasm-size.mjs path/x.wasm
//
// Each function's code is counted once, under the package its name starts
// with (a generic instantiation counts under the package that declares
// it: slices.SortFunc[…] is "slices").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const gzip = (b) => gzipSync(b, { level: 9 }).length;
export const brotli = (b) =>
  brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length;

// buildUnstripped builds ./wasm/mxcrypto with tags, keeping the name
// section, and returns the module's bytes.
export function buildUnstripped(tags = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mxcrypto-size-'));
  try {
    const out = join(dir, 'm.wasm');
    execFileSync('go', ['build', '-trimpath', ...tags, '-o', out, './wasm/mxcrypto'], {
      cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: 'inherit',
    });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function uleb(b, i) {
  let r = 0, s = 0, x;
  do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
  return [r, i];
}
function sleb(b, i) {
  let r = 0, s = 0, x;
  do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
  if (x & 0x40) r -= 2 ** s;
  return [r, i];
}

// A function's package: its name up to the first '.' after the import
// path's domain (Go writes '/' and '-' as '_' in wasm names).
export function packageOf(name) {
  const m = /^((?:[a-z0-9-]+\.(?:com|io|org|dev|net|in)_)?[^.]*)/.exec(name);
  const p = m ? m[1] : name;
  if (p.startsWith('github.com_mxcrypto_mxcrypto_')) return p.slice(29).replaceAll('_', '/');
  // Elsewhere '_' stands for '/' or '-': a third-party path stays as written.
  return /^[a-z0-9-]+\.[a-z]+_/.test(p) ? p : p.replaceAll('_', '/');
}

// analyse returns the module's sections, its code per package and its
// data split; the code split needs the name section.
export function analyse(buf) {
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  let i = 8, importedFuncs = 0;
  const bodies = [], names = new Map(), sections = {};
  let mem = null;
  while (i < b.length) {
    const id = b[i++];
    let size; [size, i] = uleb(b, i);
    const end = i + size;
    if (id === 2) {
      let n, j; [n, j] = uleb(b, i);
      for (let k = 0; k < n; k++) {
        let l; [l, j] = uleb(b, j); j += l; [l, j] = uleb(b, j); j += l;
        const kind = b[j++];
        if (kind === 0) { [, j] = uleb(b, j); importedFuncs++; }
        else if (kind === 1) { j++; const f = b[j++]; [, j] = uleb(b, j); if (f & 1) [, j] = uleb(b, j); }
        else if (kind === 2) { const f = b[j++]; [, j] = uleb(b, j); if (f & 1) [, j] = uleb(b, j); }
        else if (kind === 3) j += 2;
      }
    } else if (id === 10) {
      sections.code = size;
      let n, j; [n, j] = uleb(b, i);
      for (let k = 0; k < n; k++) { let l; [l, j] = uleb(b, j); bodies.push(l); j += l; }
    } else if (id === 11) {
      sections.data = size;
      let n, j; [n, j] = uleb(b, i);
      const segs = [];
      let top = 0;
      for (let k = 0; k < n; k++) {
        let off, l; [, j] = uleb(b, j); j++; [off, j] = sleb(b, j); j++; [l, j] = uleb(b, j);
        segs.push([off, j, l]); top = Math.max(top, off + l); j += l;
      }
      mem = new Uint8Array(top);
      for (const [off, at, l] of segs) mem.set(b.subarray(at, at + l), off);
    } else if (id === 0) {
      let l, j; [l, j] = uleb(b, i);
      const nm = new TextDecoder().decode(b.subarray(j, j + l)); j += l;
      if (nm === 'name') {
        while (j < end) {
          const t = b[j++]; let s; [s, j] = uleb(b, j); const e = j + s;
          if (t === 1) {
            let n, k = j; [n, k] = uleb(b, k);
            for (let q = 0; q < n; q++) {
              let idx, nl; [idx, k] = uleb(b, k); [nl, k] = uleb(b, k);
              names.set(idx, new TextDecoder().decode(b.subarray(k, k + nl))); k += nl;
            }
          }
          j = e;
        }
      }
    }
    i = end;
  }
  const packages = new Map();
  if (names.size) {
    bodies.forEach((l, k) => {
      const p = packageOf(names.get(k + importedFuncs) ?? '?');
      const e = packages.get(p) ?? { bytes: 0, funcs: 0 };
      e.bytes += l; e.funcs++; packages.set(p, e);
    });
  }
  // The runtime's moduledata (in the data segment) points at every table:
  // find it by its first two fields, the pclntab header (Go 1.20's magic
  // 0xfffffff1) and the function name table 8 bytes after it, then cut
  // linear memory at the addresses it holds.
  const data = {};
  if (mem) {
    const dv = new DataView(mem.buffer);
    let at = -1;
    for (let k = 0; k + 8 <= mem.length; k += 8) if (dv.getUint32(k, true) === 0xfffffff1 && mem[k + 7] === 8) { at = k; break; }
    let md = -1;
    for (let k = 0; at >= 0 && k + 336 <= mem.length; k += 8) {
      if (Number(dv.getBigUint64(k, true)) === at && Number(dv.getBigUint64(k + 8, true)) === at + Number(dv.getBigUint64(at + 8 + 8 * 3, true))) { md = k; break; }
    }
    if (md >= 0) {
      const f = (o) => Number(dv.getBigUint64(md + o, true));
      const cuts = [
        ['types, strings and other read-only data', f(296)],
        ['function names', f(8)],
        ['file tables', f(32)],
        ['pc-value tables (line, stack and safe-point tables)', f(80)],
        ['function records', f(104)],
        ['funcdata (stack maps, inline trees: go:func.*)', f(320)],
        ['findfunctab (sparse: wasm PCs are funcindex<<16)', f(152)],
        ['other pclntab', f(328)],
        ['noptrdata, data', f(192)],
        ['end', f(216)],
      ].sort((x, y) => x[1] - y[1]);
      for (let k = 0; k + 1 < cuts.length; k++) data[cuts[k][0]] = mem.subarray(cuts[k][1], Math.min(cuts[k + 1][1], mem.length));
    }
  }
  return { bytes: buf.length, sections, functions: bodies.length, packages, data, names };
}

// report prints a module's sizes and breakdown; buf may be stripped (no
// per-package code then).
export function report(label, buf, top = 30, log = console.log) {
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const a = analyse(buf);
  log(`${label}: ${kib(buf.length)} raw, ${kib(gzip(buf))} gzip -9, ${kib(brotli(buf))} brotli 11; ` +
    `code ${kib(a.sections.code)} (${a.functions} functions), data ${kib(a.sections.data)}`);
  if (a.packages.size) {
    log('  code by package (bytes, functions):');
    for (const [p, e] of [...a.packages].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, top)) {
      log(`  ${String(e.bytes).padStart(9)} ${String(e.funcs).padStart(5)}  ${p}`);
    }
  }
  if (Object.keys(a.data).length) {
    log('  data (raw, gzip -9 alone):');
    for (const [k, v] of Object.entries(a.data)) log(`  ${String(v.length).padStart(9)} ${String(gzip(v)).padStart(8)}  ${k}`);
  }
  return a;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2] ?? 'full';
  const top = Number(process.argv[3] ?? 40);
  const buf = arg === 'full' ? buildUnstripped() : arg === 'core' ? buildUnstripped(['-tags', 'mxcrypto_core']) : readFileSync(arg);
  report(arg === 'full' || arg === 'core' ? `mxcrypto ${arg} (unstripped)` : arg, buf, top);
}
