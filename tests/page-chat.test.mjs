// The web page (web/, Go + dom/v2, its own wasm calling mxcrypto's JS API) in
// Chromium against Synapse behind the backup Worker: two users in two
// browser contexts chat encrypted both ways and with the demo bot (a Node
// mx.connect client); a reload keeps the session (same device, history
// decrypted again); a second tab on the account waits and says why, then
// takes over when the first closes. Screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { setUpDemo, startBot } from '../scripts/demo-setup.mjs';
import { exactly, messageLine, screenshot, signIn, startPageStack } from './helpers/page-stack.mjs';

let s;
let demo;
let bot;
let botDir;
before(async () => {
  s = await startPageStack();
  demo = await setUpDemo(s.hs);
  botDir = await mkdtemp(join(tmpdir(), 'mxcrypto-page-bot-'));
  bot = await startBot({ homeserverUrl: s.hsUrl, bot: demo.users.bot, storeDir: botDir });
}, { timeout: 240_000 });
after(async () => {
  await bot?.stop();
  await s?.stop();
  if (botDir) await rm(botDir, { recursive: true, force: true });
});

const T = { timeout: 90_000 };

async function send(page, text) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/** The decrypted line of `body`, checked to be an encrypted message from `sender`. */
async function seesEncrypted(page, body, sender) {
  const line = messageLine(page, body);
  await line.waitFor(T).catch(async (e) => {
    console.log(`# failed: ${await screenshot(page, `page-failed-${Date.now()}`)}`);
    throw e;
  });
  const li = page.locator('#timeline li.event', { has: page.locator('.body', { hasText: new RegExp(`^${exactly(body).source.slice(1, -1)}`) }) }).first();
  assert.match(await li.getAttribute('class'), /\bencrypted\b/);
  const meta = await li.locator('.meta').textContent();
  assert.ok(meta.startsWith(sender), `${meta} is from ${sender}`);
  assert.match(meta, /encrypted · device [A-Z]{10}/, 'the sender\'s device is shown');
  return li;
}

test('two users chat encrypted both ways and with the bot; reload keeps the session', { timeout: 600_000 }, async () => {
  const [ca, cb] = [await s.context(), await s.context()];
  const alice = await signIn(ca, s.url, 'alice', demo.users.alice.password);
  const bob = await signIn(cb, s.url, 'bob', demo.users.bob.password);
  for (const p of [alice, bob]) await p.locator('#room-title', { hasText: 'Demo room' }).waitFor(T);

  await send(alice, 'hello bob, from alice');
  await seesEncrypted(bob, 'hello bob, from alice', '@alice:localhost');
  await send(bob, 'hi alice, bob here');
  await seesEncrypted(alice, 'hi alice, bob here', '@bob:localhost');
  // The bot answers each of them (it decrypted their messages), encrypted.
  await seesEncrypted(alice, '[bot] I decrypted "hello bob, from alice"', '@bot:localhost');
  await seesEncrypted(bob, '[bot] I decrypted "hi alice, bob here"', '@bot:localhost');
  await seesEncrypted(alice, '[bot] I decrypted "hi alice, bob here"', '@bot:localhost');

  // What the server holds is ciphertext only.
  const login = await s.hs.login('bob', demo.users.bob.password);
  const r = await fetch(`${s.hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(demo.roomId)}/messages?dir=b&limit=50`, { headers: { Authorization: `Bearer ${login.accessToken}` } });
  const chunk = (await r.json()).chunk;
  assert.ok(chunk.filter((e) => e.type === 'm.room.encrypted').length >= 4);
  assert.ok(!chunk.some((e) => e.type === 'm.room.message'), 'no message went in the clear');
  assert.ok(!JSON.stringify(chunk).includes('hello bob'), 'no plaintext on the server');

  // The fallback key table and the device facts are filled.
  assert.equal(await alice.locator('#fallback-keys tbody tr.current').count(), 1);
  assert.match(await alice.locator('#otk-count').textContent(), /^\d+$/);
  console.log(`# ${await screenshot(alice, 'page-chat-alice')}`);
  console.log(`# ${await screenshot(bob, 'page-chat-bob')}`);

  // Reload: the same device, the history decrypted again from the store.
  const deviceId = await alice.locator('#device-id').textContent();
  await alice.reload();
  await alice.locator('#device-id').waitFor(T);
  assert.equal(await alice.locator('#device-id').textContent(), deviceId);
  await seesEncrypted(alice, 'hi alice, bob here', '@bob:localhost');
  await seesEncrypted(alice, 'hello bob, from alice', '@alice:localhost');
  await send(alice, 'after the reload');
  await seesEncrypted(bob, 'after the reload', '@alice:localhost');
  console.log(`# ${await screenshot(alice, 'page-chat-alice-reloaded')}`);
});

test('a second tab on the account waits and says why, then takes over with nothing lost', { timeout: 300_000 }, async () => {
  const ctx = await s.context();
  const first = await signIn(ctx, s.url, 'bob', demo.users.bob.password);
  const deviceId = await first.locator('#device-id').textContent();
  const second = await ctx.newPage();
  await second.goto(s.url);
  const wait = second.locator('#tab-wait');
  await wait.waitFor(T);
  assert.match(await wait.textContent(), /open in another tab/);
  assert.equal(await wait.getAttribute('role'), 'status');
  console.log(`# ${await screenshot(second, 'page-tabs-waiting')}`);

  await first.locator('#room-title', { hasText: 'Demo room' }).waitFor(T).catch(async (e) => {
    console.log(`# ${await screenshot(first, 'page-tabs-first-failed')}`);
    throw e;
  });
  await send(first, 'sent from the first tab');
  await seesEncrypted(first, 'sent from the first tab', '@bob:localhost');
  await first.close();

  await second.locator('#device-id').waitFor(T);
  assert.equal(await second.locator('#device-id').textContent(), deviceId, 'the same device, from the same store');
  await seesEncrypted(second, 'sent from the first tab', '@bob:localhost');
  await send(second, 'and from the second tab');
  await seesEncrypted(second, 'and from the second tab', '@bob:localhost');
  console.log(`# ${await screenshot(second, 'page-tabs-took-over')}`);

  // Sign out: the device is logged out and its key store deleted from the browser.
  const dbs = async () => (await second.evaluate(() => indexedDB.databases())).map((d) => d.name).filter((n) => n.startsWith('mxcrypto-page-'));
  assert.equal((await dbs()).length, 1, 'the key store is in IndexedDB');
  await second.getByRole('button', { name: 'Sign out' }).click();
  await second.locator('#signin-error', { hasText: 'Signed out' }).waitFor(T);
  assert.deepEqual(await dbs(), [], 'the key store was deleted');
  assert.equal(await second.evaluate(() => localStorage.getItem('mxcrypto-page-session')), null);
  await second.reload();
  await second.getByLabel('Username').waitFor(T);
});
