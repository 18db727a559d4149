// The key store's JS API in real Chromium (Debian's, driven by
// playwright-core; it never downloads a browser): state written through the
// API survives a page reload, a wrong key is refused, and two tabs writing
// one store at once lose nothing (navigator.locks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveRepo } from './helpers/static-server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server;
let browser;
let url;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/setup.mjs)`);
  ({ url, server } = await serveRepo('tests/browser/store.html'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function ready(page) {
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('out').textContent === 'ready', null, { timeout: 30_000 });
}

test('state written through the JS API survives a page reload (real IndexedDB)', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await ready(page);
  const written = await page.evaluate(async () => {
    const key = new Uint8Array(32).fill(5);
    const s = await mx.store.open({ name: 'keys', backend: 'indexeddb', storeKey: key });
    await s.put('account', [], new Uint8Array([1, 2, 3]));
    await s.put('olmSession', ['peer', 'a'], new Uint8Array([4]));
    await s.setBackupVersion('3');
    const sessions = Array.from({ length: 3000 }, (_, i) => ({ roomId: `!r${i % 10}`, sessionId: `s${i}`, firstKnownIndex: i % 4, state: new Uint8Array([i & 255, i >> 8]), backedUp: i % 2 === 0 }));
    await s.putInbound(sessions);
    const gen = await s.generation();
    await s.close();
    return { gen, locks: typeof navigator.locks?.request };
  });
  assert.equal(written.locks, 'function');

  await page.reload();
  await page.waitForFunction(() => document.getElementById('out').textContent === 'ready', null, { timeout: 30_000 });
  const read = await page.evaluate(async () => {
    const s = await mx.store.open({ name: 'keys', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(5) });
    const out = {
      account: [...(await s.get('account'))],
      olm: (await s.list('olmSession', 'peer')).map((e) => [e.ids, [...e.value]]),
      counts: await s.counts(),
      one: await s.getInbound('!r7', 's1237'),
      pending: (await s.pendingBackup(5000)).length,
      gen: await s.generation(),
    };
    out.one.state = [...out.one.state];
    await s.close();
    let wrong;
    try {
      await mx.store.open({ name: 'keys', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(6) });
    } catch (e) {
      wrong = e.code;
    }
    return { ...out, wrong };
  });
  assert.deepEqual(read, {
    account: [1, 2, 3],
    olm: [[['peer', 'a'], [4]]],
    counts: { total: 3000, backedUp: 1500, backupVersion: '3' },
    one: { roomId: '!r7', sessionId: 's1237', firstKnownIndex: 1237 % 4, state: [1237 & 255, 1237 >> 8], backedUp: false },
    pending: 1500,
    gen: written.gen,
    wrong: 'WRONG_KEY',
  });
  await context.close();
});

test('two tabs writing one store at once lose no write (Web Locks + generation checks)', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const tabs = [await context.newPage(), await context.newPage()];
  await Promise.all(tabs.map(ready));
  const N = 60;
  // Each commit rewrites the manifest from the generation it read: without
  // the lock and the re-read, one tab's commit would drop the other's.
  await Promise.all(tabs.map((tab, t) => tab.evaluate(async ([t, N]) => {
    const s = await mx.store.open({ name: 'shared', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(7) });
    for (let i = 0; i < N; i++) {
      await s.put('value', `tab${t}-${i}`, new Uint8Array([t, i]));
      if (i % 10 === 0) await s.putInbound([{ roomId: `!tab${t}`, sessionId: `s${i}`, state: new Uint8Array([i]) }]);
    }
    await s.close();
  }, [t, N])));
  const result = await tabs[1].evaluate(async (N) => {
    const s = await mx.store.open({ name: 'shared', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(7) });
    const missing = [];
    for (const t of [0, 1]) {
      for (let i = 0; i < N; i++) {
        const v = await s.get('value', `tab${t}-${i}`);
        if (!v || v[0] !== t || v[1] !== i) missing.push(`tab${t}-${i}`);
      }
    }
    const out = { missing, counts: await s.counts(), gen: await s.generation() };
    await s.close();
    return out;
  }, N);
  assert.deepEqual(result, { missing: [], counts: { total: 2 * N / 10, backedUp: 0, backupVersion: '' }, gen: 2 * (N + N / 10) });
  await context.close();
});

test('the Go program exiting while it holds the store\'s Web Lock does not leave the lock held', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const [page, other] = [await context.newPage(), await context.newPage()];
  await Promise.all([ready(page), ready(other)]);
  const result = await page.evaluate(async () => {
    const s = await mx.store.open({ name: 'exit', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(8) });
    const writes = Array.from({ length: 30 }, (_, i) => s.put('value', `w${i}`, new Uint8Array([i])));
    const exit = writes[4].then(() => mx._debug.exit(3));
    const settled = await Promise.allSettled(writes);
    await exit.catch(() => {});
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), 10_000));
    const after = await Promise.race([s.put('value', 'after', new Uint8Array([1])).then(() => 'ok'), timeout]);
    await s.close();
    return { done: settled.filter((r) => r.status === 'fulfilled').length, after };
  });
  assert.equal(result.after, 'ok');
  assert.ok(result.done >= 5 && result.done < 30, `the exit cut in after ${result.done} writes`);
  // Another tab gets the lock too.
  const fromOther = await other.evaluate(async () => {
    const s = await mx.store.open({ name: 'exit', backend: 'indexeddb', storeKey: new Uint8Array(32).fill(8) });
    const v = await s.get('value', 'after');
    await s.close();
    return [...v];
  });
  assert.deepEqual(fromOther, [1]);
  await context.close();
});
