// The page tests' fixture: Synapse (scripts/homeserver.mjs), the backup
// Worker in front of it (scripts/worker.mjs, workerd through miniflare, local
// D1), the page server (scripts/serve.mjs) pointing at the Worker, and
// Chromium through playwright-core. stop() ends each process it started (by
// PID: Synapse, workerd via miniflare's dispose, the browser).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startHomeserver } from '../../scripts/homeserver.mjs';
import { startPageServer } from '../../scripts/serve.mjs';
import { buildWorker, startWorker } from '../../scripts/worker.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

export async function startPageStack() {
  buildWorker({ quiet: true });
  const hs = await startHomeserver();
  const stack = { hs, contexts: [] };
  try {
    stack.worker = await startWorker({ upstreamUrl: hs.baseUrl });
    stack.page = await startPageServer({ homeserverUrl: stack.worker.url });
    stack.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  } catch (e) {
    await stopStack(stack);
    throw e;
  }
  stack.url = stack.page.url;
  stack.hsUrl = stack.worker.url;
  stack.stop = () => stopStack(stack);
  /** A new browser context (a separate profile: its own IndexedDB and localStorage). */
  stack.context = async () => {
    const c = await stack.browser.newContext({ viewport: { width: 1400, height: 900 } });
    stack.contexts.push(c);
    return c;
  };
  return stack;
}

async function stopStack(s) {
  for (const c of s.contexts ?? []) await c.close().catch(() => {});
  if (s.browser) {
    const pid = s.browser.process?.()?.pid;
    await s.browser.close().catch(() => {});
    if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await s.page?.close();
  await s.worker?.stop().catch(() => {});
  await s.hs.stop();
}

/** Opens the page and signs in; resolves once the device panel shows the device id. */
export async function signIn(context, url, user, password) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page ${user}] ${e.message}`));
  await page.goto(url);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#device-id').waitFor({ timeout: 120_000 });
  return page;
}

/** Saves a screenshot under artifacts/; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The whole text `s`, as a RegExp for hasText. */
export const exactly = (s) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** The timeline line of the message whose body starts with `body` (decrypted); the first if several. */
export const messageLine = (page, body) => page.locator('#timeline li.event .body', { hasText: new RegExp(`^${exactly(body).source.slice(1, -1)}`) }).first();
