// The child of tests/store-crash.test.mjs: a client's key-publishing loop
// over the fs backend, printing what it hands out as it goes. The parent
// SIGKILLs it at arbitrary points.
//
//   node store-crash-child.mjs DIR FIRST_ROUND ROUNDS
//
// Each round: make 3 one-time keys (and every other round a fallback key),
// commit them with the account in one write, and only then print the
// "upload body" (`returned ids…`); then mark them published, and store a
// few received room keys (`sessions ROUND`). `fresh ids…` names the ids the
// round made, so the parent can tell a new key from one sent again.
import { init } from 'mxcrypto';

const [dir, first, rounds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const enc = (o) => new TextEncoder().encode(JSON.stringify(o));
const dec = (b) => JSON.parse(new TextDecoder().decode(b));

export const STORE_KEY = new Uint8Array(32).fill(9);

export function roundSessions(round) {
  return Array.from({ length: 6 }, (_, i) => ({
    roomId: `!r${i % 2}`, sessionId: `${round}-${i}`, state: new Uint8Array([round & 255, i]), backedUp: i % 3 === 0,
  }));
}

export const newAccount = () => ({ next: 0, unpublished: [], published: [], fallbacks: [] });

if (dir) {
  const mx = await init();
  const s = await mx.store.open({ name: 'crash', backend: 'fs', path: dir, storeKey: STORE_KEY });
  const out = (line) => process.stdout.write(`${line}\n`);
  for (let round = first; round < first + rounds; round++) {
    const a = dec((await s.get('account')) ?? enc(newAccount()));
    const writes = [];
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push(++a.next);
    a.unpublished.push(...fresh);
    // Keys not yet published go out again, under the same ids.
    const body = [...a.unpublished];
    if (round % 2 === 0) {
      const id = ++a.next;
      fresh.push(id);
      a.fallbacks.push(id);
      body.push(id);
      writes.push({ kind: 'fallbackKey', ids: String(id), value: enc({ id }) });
    }
    writes.push({ kind: 'account', value: enc(a) });
    await s.write(writes);
    out(`returned ${body.join(' ')}`);
    out(`fresh ${fresh.join(' ')}`);

    a.published.push(...a.unpublished);
    a.unpublished = [];
    await s.put('account', [], enc(a));
    await s.putInbound(roundSessions(round));
    out(`sessions ${round}`);
  }
  await s.close();
  out('done');
}
