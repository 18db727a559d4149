// One Synapse per test file, the fault proxy in front of it, and quick ways
// to get our clients (mx.connect) and Rust clients (matrix-sdk-crypto-wasm)
// logged in through the proxy. Every process and client it makes is closed
// by fixture.stop() (call it in `after`).
//
//   const fx = await synapseFixture();
//   const alice = await fx.ours('alice');              // mx.connect, sync loop running
//   const bob = await fx.rust('bob');                  // RustClient
//   ...
//   await fx.stop();
import { randomBytes } from 'node:crypto';

import { startHomeserver } from '../../scripts/homeserver.mjs';
import { startFaultProxy } from './fault-proxy.mjs';
import { loadMx } from './peers.mjs';
import { RustClient } from './rust-client.mjs';

/** Short retry delays so fault tests stay quick; the policy is the production one. */
export const TEST_RETRY = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 500 };

export async function synapseFixture() {
  const hs = await startHomeserver();
  const proxy = await startFaultProxy(hs.baseUrl);
  const mx = await loadMx();
  const clients = [];
  const passwords = new Map();
  let storeCounter = 0;

  /** Registers localpart once (later calls log in again: a new device). */
  async function login(localpart, { deviceId } = {}) {
    if (!passwords.has(localpart)) {
      const first = await hs.registerUser(localpart);
      passwords.set(localpart, first.password);
      if (!deviceId) return first;
    }
    return hs.login(localpart, passwords.get(localpart), { deviceId });
  }

  const fx = {
    hs,
    proxy,
    mx,
    login,
    userId: (localpart) => hs.userId(localpart),
    /**
     * Our client for a (new or given) login, connected through the proxy.
     * options go to mx.connect (store, storeKey, start, syncTimeoutMs…).
     */
    async ours(localpartOrLogin, options = {}) {
      const session = typeof localpartOrLogin === 'string' ? await login(localpartOrLogin) : localpartOrLogin;
      const client = await mx.connect({
        homeserverUrl: proxy.baseUrl,
        accessToken: session.accessToken,
        store: `hs-test-${process.pid}-${++storeCounter}`,
        backend: 'memory',
        storeKey: new Uint8Array(randomBytes(32)),
        syncTimeoutMs: 2000,
        retry: TEST_RETRY,
        ...options,
      });
      client.session = session;
      clients.push(client);
      return client;
    },
    /** A Rust client (OlmMachine over HTTP) for a new login through the proxy. */
    async rust(localpartOrLogin) {
      const session = typeof localpartOrLogin === 'string' ? await login(localpartOrLogin) : localpartOrLogin;
      const c = await RustClient.create(proxy.baseUrl, session);
      c.session = session;
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await proxy.stop();
      await hs.stop();
    },
  };
  return fx;
}

/** Resolves when check() is truthy (polled), else rejects after timeoutMs. */
export async function eventually(check, { timeoutMs = 60000, intervalMs = 100, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Collects every room event a client emits (the test reads the array). */
export function recordEvents(client) {
  const seen = [];
  client.on('event', (e) => seen.push(e));
  return seen;
}
