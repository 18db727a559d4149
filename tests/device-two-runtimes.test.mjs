// Two runtimes (as two tabs) on one device store in IndexedDB: every write
// of each is kept.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from 'mxcrypto';

test('two runtimes writing one device store lose nothing', async () => {
  const [a, b] = await Promise.all([init(), init()]);
  const storeKey = new Uint8Array(32).fill(9);
  const opts = { userId: '@t:example.org', deviceId: 'T', store: 'two-runtimes', backend: 'indexeddb', dbName: 'two-runtimes', storeKey };
  const da = await a.openDevice(opts);
  const db = await b.openDevice(opts);
  const senderKey = 'cZ2U7Xv8jhzMgyDHPA9KXeLwbxW5EfgWVqPwwFr2m00';
  const senderEd25519 = '8gXqnKvRYwX+dq0L0Y5VmB3WBQv8bNDt6Wp1p3jVVZY';
  const imports = async (mx, dev, n) => {
    for (let i = 0; i < n; i++) {
      const out = await mx.megolm.createOutboundSession();
      await dev.importRoomKey(await out.roomKeyContent('!room:example.org'), { kind: 'm.room_key', senderKey, senderEd25519 });
    }
  };
  await Promise.all([imports(a, da, 40), imports(b, db, 40)]);
  const counts = await da.roomKeyCounts();
  assert.equal(counts.total, 80);
});
