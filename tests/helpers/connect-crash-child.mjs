// The child of the crash scenarios (tests/homeserver-scenario45-crash.test.mjs):
// our client (mx.connect) on a key store in files, which the parent SIGKILLs
// at a chosen point and starts again on the same store.
//
//   node connect-crash-child.mjs CONFIG_JSON
//   CONFIG: { homeserverUrl, accessToken, storeDir, storeKeyHex, freezeAfter? }
//
// freezeAfter: 'keys_upload' | 'sync_with_to_device' — the child's fetch, once
// such a response has arrived from the server (the server has acted on it),
// prints `frozen <what>` and never hands the response to the client: the
// parent kills the process there, so the response is never processed.
// Prints one JSON line per happening: {"ready":…}, {"event":…}, {"toDevice":…}.
import { init } from 'mxcrypto';

const config = JSON.parse(process.argv[2]);
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function freezingFetch(what) {
  return async (url, init) => {
    const res = await fetch(url, init);
    const path = new URL(url).pathname;
    let freeze = false;
    if (what === 'keys_upload' && path.endsWith('/keys/upload') && res.ok) freeze = true;
    if (what === 'sync_with_to_device' && path.endsWith('/sync') && res.ok) {
      const body = await res.clone().json();
      freeze = (body.to_device?.events ?? []).length > 0;
    }
    if (freeze) {
      await res.arrayBuffer(); // the whole response arrived…
      out({ frozen: what });
      await new Promise(() => setInterval(() => {}, 1 << 30)); // …and is never processed
    }
    return res;
  };
}

const mx = await init();
const client = await mx.connect({
  homeserverUrl: config.homeserverUrl,
  accessToken: config.accessToken,
  store: 'crash-client',
  backend: 'fs',
  path: config.storeDir,
  storeKey: new Uint8Array(Buffer.from(config.storeKeyHex, 'hex')),
  syncTimeoutMs: 1000,
  retry: { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 500 },
  ...(config.freezeAfter ? { fetch: freezingFetch(config.freezeAfter) } : {}),
});
client.on('event', (e) => out({ event: { roomId: e.roomId, eventId: e.eventId, sender: e.sender, body: e.content?.body ?? null, error: e.error?.code ?? null, senderDevice: e.senderDevice?.deviceId ?? null } }));
client.on('toDevice', (t) => out({ toDevice: { type: t.type ?? t.event?.type, failure: !!t.failure, code: t.code ?? null } }));
client.on('error', (e) => out({ error: { code: e.code, message: e.message } }));
out({ ready: { userId: client.userId, deviceId: client.deviceId, curve25519: client.identityKeys.curve25519 } });
