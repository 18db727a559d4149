// The key store's JS API suite, run by tests/store-*.test.mjs over each
// backend. `options(name)` gives the backend part of store.open's options
// for a fresh store called name.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const key = (b) => new Uint8Array(32).fill(b);
const bytes = (...b) => new Uint8Array(b);
const code = (c) => (e) => {
  assert.ok(e instanceof Error, `expected an Error, got ${e}`);
  assert.equal(e.code, c, e.message);
  return true;
};

let seq = 0;
const fresh = () => `store-${process.pid}-${++seq}`;

function sessions(n, { prefix = 's', backedUp = false } = {}) {
  return Array.from({ length: n }, (_, i) => ({
    roomId: `!room${i % 7}:example.org`,
    sessionId: `${prefix}${i}`,
    firstKnownIndex: i % 5,
    state: bytes(i & 0xff, (i >> 8) & 0xff, 42),
    backedUp,
  }));
}

export function storeSuite(mx, backend, options, { persistent = true } = {}) {
  const open = (name, extra = {}) => mx.store.open({ name, storeKey: key(1), ...options(name), ...extra });

  test(`${backend}: records of every kind: put, get, list, delete`, async () => {
    const s = await open(fresh());
    assert.equal(await s.get('account'), null);
    await s.put('account', [], bytes(1, 2, 3));
    await s.put('backup', [], bytes(4));
    await s.put('secret', 'm.megolm_backup.v1', bytes(5));
    await s.put('value', ['v'], bytes());
    await s.put('fallbackKey', ['AAAAAQ'], bytes(6));
    await s.put('outbound', ['!room:x'], bytes(7));
    for (const sid of ['c', 'a', 'b']) await s.put('olmSession', ['peerKey', sid], bytes(sid.charCodeAt(0)));
    await s.put('olmSession', ['otherPeer', 'z'], bytes(9));

    assert.deepEqual(await s.get('account'), bytes(1, 2, 3));
    assert.deepEqual(await s.get('backup', []), bytes(4));
    assert.deepEqual(await s.get('secret', ['m.megolm_backup.v1']), bytes(5));
    assert.deepEqual(await s.get('value', 'v'), bytes());
    assert.deepEqual(await s.get('fallbackKey', 'AAAAAQ'), bytes(6));
    assert.deepEqual(await s.get('outbound', '!room:x'), bytes(7));
    assert.deepEqual(await s.list('olmSession', 'peerKey'), [
      { ids: ['peerKey', 'a'], value: bytes(97) },
      { ids: ['peerKey', 'b'], value: bytes(98) },
      { ids: ['peerKey', 'c'], value: bytes(99) },
    ]);
    assert.deepEqual(await s.list('olmSession', 'nobody'), []);
    assert.deepEqual(await s.list('secret'), []); // secrets have a first id; none is ''

    await s.put('account', [], bytes(8));
    assert.deepEqual(await s.get('account'), bytes(8));
    await s.delete('olmSession', ['peerKey', 'b']);
    await s.delete('value', 'never-stored');
    assert.deepEqual((await s.list('olmSession', 'peerKey')).map((e) => e.ids[1]), ['a', 'c']);
    assert.equal(await s.get('olmSession', ['peerKey', 'b']), null);
    await s.close();
  });

  test(`${backend}: write commits several puts and deletes together, or none`, async () => {
    const s = await open(fresh());
    await s.put('value', 'old', bytes(1));
    const g = await s.generation();
    await s.write([
      { kind: 'account', value: bytes(2) },
      { kind: 'fallbackKey', ids: 'AAAAAg', value: bytes(3) },
      { kind: 'value', ids: ['old'], value: null },
      { kind: 'olmSession', ids: ['peer', 's'], value: bytes() },
    ]);
    assert.equal(await s.generation(), g + 1);
    assert.deepEqual(await s.get('account'), bytes(2));
    assert.deepEqual(await s.get('fallbackKey', 'AAAAAg'), bytes(3));
    assert.equal(await s.get('value', 'old'), null);
    assert.deepEqual(await s.get('olmSession', ['peer', 's']), bytes());
    // A bad write anywhere in the list: nothing of it is committed.
    await assert.rejects(s.write([{ kind: 'account', value: bytes(9) }, { kind: 'olmSession', ids: ['peer'], value: bytes(1) }]), code('BAD_INPUT'));
    await assert.rejects(s.write([{ kind: 'account', value: bytes(9) }, { kind: 'inbound', ids: ['!r', 's'], value: bytes(1) }]), code('BAD_INPUT'));
    await assert.rejects(s.write([{ kind: 'account', value: bytes(9) }, { kind: 'value', ids: 'x', value: 'text' }]), code('BAD_INPUT'));
    await assert.rejects(s.write('not a list'), code('BAD_INPUT'));
    assert.deepEqual(await s.get('account'), bytes(2));
    assert.equal(await s.generation(), g + 1);
    await s.write([]); // nothing to commit
    assert.equal(await s.generation(), g + 1);
    await s.close();
  });

  test(`${backend}: inbound sessions in bulk, counts without a scan, the backup loop`, async () => {
    const s = await open(fresh());
    const all = sessions(5000);
    await s.putInbound(all);
    assert.deepEqual(await s.counts(), { total: 5000, backedUp: 0, backupVersion: '' });
    const one = await s.getInbound(all[1234].roomId, 's1234');
    assert.deepEqual(one, { ...all[1234], backedUp: false });
    assert.equal(await s.getInbound('!room0:example.org', 'missing'), null);

    await s.setBackupVersion('7');
    let uploaded = 0;
    for (;;) {
      const batch = await s.pendingBackup(1000);
      if (!batch.length) break;
      assert.ok(batch.length <= 1000);
      for (const p of batch) assert.equal(p.backedUp, false);
      await s.markBackedUp('7', batch);
      uploaded += batch.length;
    }
    assert.equal(uploaded, 5000);
    assert.deepEqual(await s.counts(), { total: 5000, backedUp: 5000, backupVersion: '7' });
    assert.deepEqual(await s.counts('6'), { total: 5000, backedUp: 0, backupVersion: '7' });
    assert.equal((await s.getInbound(all[9].roomId, 's9')).backedUp, true);

    // A better copy replaces a backed-up session and is pending again; a
    // mark for a replaced backup version changes nothing.
    await s.putInbound([{ ...all[9], firstKnownIndex: 0, state: bytes(1) }]);
    assert.deepEqual((await s.pendingBackup(10)).map((p) => p.sessionId), ['s9']);
    await s.markBackedUp('6', [all[9]]);
    assert.equal((await s.counts()).backedUp, 4999);
    // A new backup version: everything is pending again.
    await s.setBackupVersion('8');
    assert.deepEqual(await s.counts(), { total: 5000, backedUp: 0, backupVersion: '8' });
    await s.close();
  });

  test(`${backend}: reopen sees every commit; generation only grows`, async () => {
    const name = fresh();
    let s = await open(name);
    const g0 = await s.generation();
    await s.put('account', [], bytes(1));
    await s.putInbound(sessions(300, { backedUp: true }));
    const g1 = await s.generation();
    assert.equal(g1, g0 + 2);
    await s.close();

    s = await open(name);
    assert.equal(await s.generation(), g1);
    assert.deepEqual(await s.get('account'), bytes(1));
    assert.equal((await s.counts()).total, 300);
    assert.deepEqual(await s.pendingBackup(5), []);
    await s.close();
  });

  test(`${backend}: two Store objects on one store see each other's writes`, async () => {
    const name = fresh();
    const a = await open(name);
    const b = await open(name);
    // Read-modify-write from both sides, interleaved and concurrent: no
    // increment may be lost.
    const bump = async (s) => {
      const v = (await s.get('value', 'n')) ?? bytes(0, 0);
      const n = v[0] * 256 + v[1] + 1;
      await s.put('value', 'n', bytes(n >> 8, n & 0xff));
    };
    for (let i = 0; i < 40; i++) await bump(i % 3 ? a : b);
    const v = await b.get('value', 'n');
    assert.equal(v[0] * 256 + v[1], 40);
    await Promise.all([a.put('value', 'x', bytes(1)), b.put('value', 'y', bytes(2))]);
    assert.deepEqual(await a.get('value', 'y'), bytes(2));
    assert.deepEqual(await b.get('value', 'x'), bytes(1));
    assert.equal(await a.generation(), await b.generation());
    await a.close();
    assert.deepEqual(await b.get('value', 'x'), bytes(1)); // closing one leaves the other open
    await b.close();
  });

  test(`${backend}: 200 concurrent calls on one Store all commit`, async () => {
    const s = await open(fresh());
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.put('value', `k${i}`, bytes(i & 0xff))));
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => s.get('value', `k${i}`)));
    got.forEach((v, i) => assert.deepEqual(v, bytes(i & 0xff)));
    assert.equal(await s.generation(), 200);
    await s.close();
  });

  test(`${backend}: wrong key, passphrase stores, closed stores, bad input: stable codes`, async () => {
    const name = fresh();
    const s = await open(name);
    await s.put('account', [], bytes(1));
    await s.close();
    await assert.rejects(open(name, { storeKey: key(2) }), code('WRONG_KEY'));
    await assert.rejects(open(name, { storeKey: undefined, passphrase: 'pw' }), code('WRONG_KEY'));

    const pname = fresh();
    const p = await open(pname, { storeKey: undefined, passphrase: 'correct horse', iterations: 1000 });
    await p.put('secret', 'k', bytes(3));
    await p.close();
    await assert.rejects(open(pname, { storeKey: undefined, passphrase: 'wrong horse' }), code('WRONG_KEY'));
    const p2 = await open(pname, { storeKey: undefined, passphrase: 'correct horse' });
    assert.deepEqual(await p2.get('secret', 'k'), bytes(3));
    await p2.close();

    for (const call of [
      (x) => x.get('account'), (x) => x.put('account', [], bytes(1)), (x) => x.delete('account'),
      (x) => x.list('olmSession', 'a'), (x) => x.write([]), (x) => x.putInbound(sessions(1)), (x) => x.getInbound('!r', 's'),
      (x) => x.counts(), (x) => x.pendingBackup(1), (x) => x.markBackedUp('1', []),
      (x) => x.setBackupVersion('1'), (x) => x.generation(),
    ]) {
      await assert.rejects(call(p2), code('CLOSED'));
    }
    await p2.close(); // twice is fine

    const t = await open(fresh());
    await assert.rejects(t.get('inbound', ['!r', 's']), code('BAD_INPUT'));
    await assert.rejects(t.get('olmSession', ['only-one-id']), code('BAD_INPUT'));
    await assert.rejects(t.get('account', ['unexpected']), code('BAD_INPUT'));
    await assert.rejects(t.get('value', ['a', 'b', 'c']), code('BAD_INPUT'));
    await assert.rejects(t.put('value', 'v', 'not bytes'), code('BAD_INPUT'));
    await assert.rejects(t.putInbound([{ roomId: '!r', sessionId: 's', state: 'x' }]), code('BAD_INPUT'));
    await assert.rejects(t.putInbound([{ roomId: '!r', sessionId: '', state: bytes(1) }]), code('BAD_INPUT'));
    await assert.rejects(t.markBackedUp('1', [{ roomId: '!r' }]), code('BAD_INPUT'));
    await assert.rejects(t.pendingBackup(-1), code('BAD_INPUT'));
    assert.equal((await t.counts()).total, 0); // nothing half-written
    await t.close();

    await assert.rejects(mx.store.open({ name: fresh(), ...options('x'), storeKey: key(1).subarray(1) }), code('BAD_INPUT'));
    await assert.rejects(mx.store.open({ name: fresh(), ...options('x') }), code('BAD_INPUT'));
    await assert.rejects(mx.store.open({ name: fresh(), ...options('x'), backend: 'floppy', storeKey: key(1) }), code('BAD_INPUT'));
    await assert.rejects(mx.store.open({ name: '../up', ...options('x'), storeKey: key(1) }), code('BAD_INPUT'));
  });

  if (persistent) {
    test(`${backend}: the Go program exiting mid-writes loses no write that resolved`, async () => {
      const name = fresh();
      const s = await open(name);
      await s.put('value', 'before', bytes(1));
      const writes = Array.from({ length: 40 }, (_, i) => s.put('value', `w${i}`, bytes(i)));
      const exit = writes[9].then(() => mx._debug.exit(3));
      const settled = await Promise.allSettled(writes);
      await exit.catch(() => {});
      const done = settled.filter((r) => r.status === 'fulfilled').length;
      for (const r of settled) if (r.status === 'rejected') assert.equal(r.reason.code, 'INSTANCE_EXITED');
      console.log(`# ${backend}: ${done} of ${writes.length} writes resolved before the exit`);
      const again = await open(name);
      assert.deepEqual(await again.get('value', 'before'), bytes(1));
      for (const [i, r] of settled.entries()) {
        if (r.status === 'fulfilled') assert.deepEqual(await again.get('value', `w${i}`), bytes(i), `write ${i} resolved but is lost`);
      }
      assert.ok(done >= 1 && done < writes.length, `the exit cut in after ${done} of ${writes.length} writes`);
      await again.close();
      await s.close();
    });
  }

  test(`${backend}: a restart of the wasm instance reopens the store on the next call`, async () => {
    const s = await open(fresh());
    await s.put('account', [], bytes(1));
    await assert.rejects(mx._debug.exit(3), code('INSTANCE_EXITED'));
    if (persistent) {
      assert.deepEqual(await s.get('account'), bytes(1));
      await s.put('account', [], bytes(2));
      assert.deepEqual(await s.get('account'), bytes(2));
    } else {
      assert.equal(await s.get('account'), null); // memory lives in the instance
    }
    await s.close();
    await assert.rejects(s.get('account'), code('CLOSED'));
  });
}
