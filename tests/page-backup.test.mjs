// Secure backup in the web page (Chromium, Synapse behind the backup
// Worker): set up with a passphrase in one browser context (the recovery key
// shown once), keys uploaded; a new device in a new context restores with
// the recovery key, another with the passphrase, and the messages it could
// not read become readable; a wrong recovery key says so and changes
// nothing. Then a restore of 10,000 keys in the page, timed. Screenshots go
// to artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { init } from 'mxcrypto';
import { setUpDemo } from '../scripts/demo-setup.mjs';
import { exactly, messageLine, screenshot, signIn, startPageStack } from './helpers/page-stack.mjs';

let s;
let demo;
let mx;
before(async () => {
  s = await startPageStack();
  demo = await setUpDemo(s.hs);
  mx = await init();
}, { timeout: 240_000 });
after(async () => { await s?.stop(); });

const T = { timeout: 120_000 };
const PASSPHRASE = 'correct horse battery staple';

async function send(page, text) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await messageLine(page, text).waitFor(T);
}

async function restore(page, text) {
  await page.getByLabel('Recovery key or passphrase', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await page.locator('#restore-summary li, #restore-text[data-error]').first().waitFor({ timeout: 300_000 });
}

let recoveryKey;

test('backup: set up with a passphrase, restore on new devices with the recovery key and the passphrase; a wrong key changes nothing', { timeout: 900_000 }, async () => {
  const alice = await signIn(await s.context(), s.url, 'alice', demo.users.alice.password);
  const bob = await signIn(await s.context(), s.url, 'bob', demo.users.bob.password);
  for (const p of [alice, bob]) await p.locator('#room-title', { hasText: 'Demo room' }).waitFor(T);
  await send(alice, 'alice: before the backup');
  await messageLine(bob, 'alice: before the backup').waitFor(T);
  await send(bob, 'bob: a secret for the backup');
  await messageLine(alice, 'bob: a secret for the backup').waitFor(T);

  // Set up: the recovery key is shown once; the keys are uploaded.
  await alice.getByLabel('Passphrase (optional)').fill(PASSPHRASE);
  await alice.getByRole('button', { name: 'Set up secure backup' }).click();
  await alice.locator('#recovery-key').waitFor(T);
  recoveryKey = (await alice.locator('#recovery-key').textContent()).trim();
  assert.match(recoveryKey, /^([1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{4}$/);
  await alice.locator('#upload-text', { hasText: /^([1-9]\d*) of \1 room keys backed up\.$/ }).waitFor(T);
  console.log(`# ${await screenshot(alice, 'page-backup-setup')}`);
  await alice.getByRole('button', { name: 'I saved it' }).click();
  assert.equal(await alice.locator('#recovery-key').count(), 0, 'the key is shown once');

  // A new device: bob's earlier message is not readable until restored.
  const second = await signIn(await s.context(), s.url, 'alice', demo.users.alice.password);
  await second.locator('#room-title', { hasText: 'Demo room' }).waitFor(T);
  const locked = second.locator('#timeline li.undecryptable');
  await locked.first().waitFor(T);
  assert.match(await locked.first().textContent(), /Waiting for the key|starts after this message|Not sent to this device/);
  console.log(`# ${await screenshot(second, 'page-backup-new-device')}`);

  // A wrong recovery key (well-formed, another key): a clear message, nothing changed.
  const before = await second.locator('#store-total').textContent();
  const wrong = await mx.recoveryKey.encode(crypto.getRandomValues(new Uint8Array(32)));
  await restore(second, wrong);
  const status = second.locator('#restore-text');
  assert.ok(['BAD_MAC', 'WRONG_KEY'].includes(await status.getAttribute('data-error')), await status.getAttribute('data-error'));
  assert.match(await status.textContent(), /not the recovery key or passphrase.*Nothing was changed/);
  await second.getByRole('button', { name: 'Refresh' }).click();
  await second.waitForTimeout(1000);
  assert.equal(await second.locator('#store-total').textContent(), before, 'no key was added');
  console.log(`# ${await screenshot(second, 'page-backup-wrong-key')}`);

  // The recovery key: the keys come back and the messages are readable, marked fixed.
  await restore(second, recoveryKey);
  assert.equal(await status.getAttribute('data-error'), null, await status.textContent());
  assert.match(await second.locator('#restore-imported').textContent(), /^[1-9]\d* imported$/);
  await messageLine(second, 'bob: a secret for the backup').waitFor(T);
  await messageLine(second, 'alice: before the backup').waitFor(T);
  await second.locator('#timeline .fixed', { hasText: 'restored from backup' }).first().waitFor(T);
  assert.equal(await second.locator('#timeline li.undecryptable').count(), 0);
  console.log(`# ${await screenshot(second, 'page-backup-restored-recovery-key')}`);

  // The passphrase, on a third device.
  const third = await signIn(await s.context(), s.url, 'alice', demo.users.alice.password);
  await third.locator('#room-title', { hasText: 'Demo room' }).waitFor(T);
  await restore(third, PASSPHRASE);
  assert.equal(await third.locator('#restore-text').getAttribute('data-error'), null, await third.locator('#restore-text').textContent());
  await messageLine(third, 'bob: a secret for the backup').waitFor(T);
  console.log(`# ${await screenshot(third, 'page-backup-restored-passphrase')}`);
});

test('restore of 10,000 keys in the page, with progress', { timeout: 900_000 }, async () => {
  assert.ok(recoveryKey, 'the first test set up the backup');
  const N = Number(process.env.PAGE_RESTORE_KEYS ?? 10_000);
  // Add N real Megolm sessions to alice's backup (encrypted to its public key, as a client would).
  const login = await s.hs.login('alice', demo.users.alice.password);
  const api = async (method, path, body) => {
    const r = await fetch(`${s.hsUrl}/_matrix/client/v3${path}`, { method, headers: { Authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.json();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const info = await api('GET', '/room_keys/version');
  const publicKey = info.auth_data.public_key;
  const senderKey = 'cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00';
  for (let start = 0; start < N; start += 1000) {
    const sessions = {};
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      const out = await mx.megolm.createOutboundSession();
      const inbound = await mx.megolm.createInboundSession(await out.sessionKey());
      const data = { algorithm: 'm.megolm.v1.aes-sha2', sender_key: senderKey, sender_claimed_keys: { ed25519: '8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY' }, session_key: await inbound.export(0), forwarding_curve25519_key_chain: [] };
      sessions[out.sessionId] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: await mx.backup.encrypt(publicKey, data) };
    }
    await api('PUT', `/room_keys/keys/${encodeURIComponent('!bulk:localhost')}?version=${info.version}`, { sessions });
  }
  await api('POST', '/logout', {});

  const page = await signIn(await s.context(), s.url, 'alice', demo.users.alice.password);
  await page.locator('#room-title', { hasText: 'Demo room' }).waitFor(T);
  const seen = new Set();
  const watch = setInterval(async () => { try { seen.add(await page.locator('#restore-text').textContent()); } catch { /* closed */ } }, 200);
  await restore(page, recoveryKey);
  clearInterval(watch);
  assert.equal(await page.locator('#restore-text').getAttribute('data-error'), null, await page.locator('#restore-text').textContent());
  const imported = Number((await page.locator('#restore-imported').textContent()).split(' ')[0]);
  assert.ok(imported >= N, `${imported} imported of ≥ ${N}`);
  const seconds = Number(await page.locator('#restore-text').getAttribute('data-seconds'));
  assert.ok([...seen].some((t) => / of \d+ keys · \d+ keys\/s · time left/.test(t)), `progress was shown: ${[...seen].join(' | ')}`);
  console.log(`# restore in the page: ${imported} keys in ${seconds.toFixed(2)} s (${Math.round(imported / seconds)} keys/s)`);
  console.log(`# ${await screenshot(page, 'page-backup-restored-10k')}`);
  void exactly;
});
