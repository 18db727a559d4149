// Crash safety of the store through the JS API, with real process kills: a
// child runs the key-publishing loop over the fs backend and is SIGKILLed
// at many points (right after an output line, or some milliseconds later,
// inside the next calls). After each kill the store must reopen with
// everything the child handed out, and the next child, on the same files,
// must never hand out a key id twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from 'mxcrypto';
import { STORE_KEY, roundSessions, newAccount } from './helpers/store-crash-child.mjs';

const CHILD = fileURLToPath(new URL('./helpers/store-crash-child.mjs', import.meta.url));
const KILLS = Number(process.env.STORE_CRASH_KILLS ?? 40);
const dec = (b) => JSON.parse(new TextDecoder().decode(b));

/** Runs a child from round `first`; kills it `delay` ms after its line number `afterLine` (never, if null). */
function runChild(dir, first, afterLine, delay, rounds = 1000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(first), String(rounds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let buf = '';
    let stderr = '';
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), delay);
    };
    if (afterLine === 0) arm();
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (lines.length === afterLine) arm();
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ lines, code, signal, stderr }));
  });
}

test(`the store keeps every returned key and session across ${KILLS} SIGKILLs, and never reuses a key id`, { timeout: 600_000 }, async () => {
  const mx = await init();
  const dir = mkdtempSync(join(tmpdir(), 'mxstore-kill-'));
  try {
    const returned = new Set(); // every key id handed out, by every child
    const made = new Set(); // ids of keys made by rounds whose body went out
    const sessions = [];
    let round = 0;
    const check = (k, r) => {
      for (const line of r.lines) {
        const [what, ...rest] = line.split(' ');
        if (what === 'returned') rest.map(Number).forEach((id) => returned.add(id));
        if (what === 'fresh') {
          for (const id of rest.map(Number)) {
            assert.ok(!made.has(id), `child ${k}: key id ${id} was made again for a new key`);
            made.add(id);
          }
        }
        if (what === 'sessions') {
          round = Number(rest[0]) + 1;
          sessions.push(...roundSessions(Number(rest[0])));
        }
      }
    };
    for (let k = 0; k < KILLS; k++) {
      // Kill points spread over start-up, the first round and later ones,
      // right after an output line or some milliseconds into the next commits.
      const afterLine = k % 9;
      const delay = k % 3 === 0 ? 0 : (k * 7) % 40;
      const r = await runChild(dir, round, afterLine, delay);
      assert.equal(r.signal, 'SIGKILL', `child ${k} was not killed (exit ${r.code}): ${r.stderr}`);
      check(k, r);

      // Reopen as a restarted client would.
      const s = await mx.store.open({ name: 'crash', backend: 'fs', path: dir, storeKey: STORE_KEY });
      const a = dec((await s.get('account')) ?? new TextEncoder().encode(JSON.stringify(newAccount())));
      const all = [...a.unpublished, ...a.published, ...a.fallbacks];
      const stored = new Set(all);
      assert.equal(stored.size, all.length, `kill ${k}: a key id is stored twice`);
      for (const id of returned) {
        assert.ok(stored.has(id), `kill ${k}: key id ${id} was returned but is lost`);
        assert.ok(id <= a.next, `kill ${k}: key id ${id} was returned but the counter is at ${a.next}`);
        if (a.fallbacks.includes(id)) assert.deepEqual(dec(await s.get('fallbackKey', String(id))), { id });
      }
      for (const ss of sessions) {
        const got = await s.getInbound(ss.roomId, ss.sessionId);
        assert.ok(got, `kill ${k}: session ${ss.sessionId} was stored but is lost`);
        assert.deepEqual(got.state, ss.state);
      }
      assert.ok((await s.counts()).total >= sessions.length);
      await s.close();
    }
    // A last child on the files the kills left runs to the end; its new
    // key ids must be new too.
    const last = await runChild(dir, round, null, 0, 5);
    assert.equal(last.code, 0, last.stderr);
    assert.equal(last.lines.at(-1), 'done');
    const before = made.size;
    check(KILLS, last);
    assert.ok(made.size > before && returned.size > 0 && sessions.length > 0, 'the children got far enough to return something');
    console.log(`# ${KILLS} kills: ${made.size} key ids made, ${sessions.length} sessions`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
