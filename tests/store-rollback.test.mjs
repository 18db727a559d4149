// Rollback and damage through the JS API, over the fs backend and
// IndexedDB (fake-indexeddb): a restored older copy of a store's files is
// STORE_ROLLED_BACK, a damaged newest manifest STORE_CORRUPT; with
// allowRollback: true both open, the store moves past its high-water mark,
// and a device on it sends only what its recipient can read (the Go tests
// in device/rollback_test.go check every key at the recipient).
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init } from 'mxcrypto';

const mx = await init();
const code = (c) => (e) => { assert.equal(e.code, c, e.message); return true; };

// Files of one store, by backend: read all, and put a copy back (files the
// copy lacks are removed). The high-water mark (beside the directory) is
// not part of the copy.
const fsFiles = (dir, name) => ({
  read() {
    return Object.fromEntries(readdirSync(join(dir, name)).map((f) => [f, readFileSync(join(dir, name, f))]));
  },
  write(files) {
    for (const f of readdirSync(join(dir, name))) if (!(f in files)) unlinkSync(join(dir, name, f));
    for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, name, f), b);
  },
});

function idb(dbName, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(['contents', 'info'], 'readwrite');
      const out = fn(tx.objectStore('contents'), tx.objectStore('info'));
      tx.oncomplete = () => { db.close(); resolve(out); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}

const idbFiles = (dbName, name) => ({
  async read() {
    const files = {};
    await idb(dbName, (contents, info) => {
      contents.openCursor().onsuccess = (e) => {
        const c = e.target.result;
        if (!c) return;
        if (c.key.startsWith(`${name}/`)) {
          const f = c.key.slice(name.length + 1);
          files[f] = { data: c.value };
          info.get(c.key).onsuccess = (ev) => { files[f].info = ev.target.result; };
        }
        c.continue();
      };
    });
    return files;
  },
  async write(files) {
    await idb(dbName, (contents, info) => {
      contents.openCursor().onsuccess = (e) => {
        const c = e.target.result;
        if (!c) {
          for (const [f, { data, info: i }] of Object.entries(files)) {
            contents.put(data, `${name}/${f}`);
            info.put(i, `${name}/${f}`);
          }
          return;
        }
        const f = c.key.slice(name.length + 1);
        if (c.key.startsWith(`${name}/`) && !(f in files)) {
          contents.delete(c.key);
          info.delete(c.key);
        }
        c.continue();
      };
    });
  },
});

const dir = mkdtempSync(join(tmpdir(), 'mx-rollback-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const backends = [
  { backend: 'fs', files: (name) => fsFiles(dir, name), storeOpts: { backend: 'fs', path: dir }, deviceOpts: null },
  { backend: 'indexeddb', files: (name) => idbFiles('rollback', name), storeOpts: { backend: 'indexeddb', database: 'rollback' }, deviceOpts: { backend: 'indexeddb', dbName: 'rollback' } },
];

for (const b of backends) {
  test(`${b.backend}: a restored older copy is STORE_ROLLED_BACK; allowRollback opens it past the mark`, async () => {
    const storeKey = randomBytes(32);
    const opts = { name: 'st', storeKey, ...b.storeOpts };
    const files = b.files('st');
    let s = await mx.store.open(opts);
    await s.put('value', ['a'], new Uint8Array([1]));
    const old = await files.read();
    for (let i = 0; i < 5; i++) await s.put('value', [`n${i}`], new Uint8Array([i]));
    const newest = await s.generation();
    await s.close();

    await files.write(old);
    await assert.rejects(mx.store.open(opts), code('STORE_ROLLED_BACK'));
    await assert.rejects(mx.store.open({ ...opts, allowRollback: 'yes' }), code('BAD_INPUT'));
    s = await mx.store.open({ ...opts, allowRollback: true });
    assert.ok(await s.generation() > newest, 'the store moved past its mark');
    assert.equal(await s.get('value', ['n0']), null, 'the older copy is what opened');
    await s.put('value', ['after'], new Uint8Array([9]));
    await s.close();
    s = await mx.store.open(opts);
    assert.deepEqual([...await s.get('value', ['after'])], [9]);
    await s.close();

    // A damaged newest manifest slot: STORE_CORRUPT, not the generation before.
    const now = await files.read();
    const slot = `MANIFEST.${(await (async () => { const t = await mx.store.open(opts); const g = await t.generation(); await t.close(); return g; })()) % 2}`;
    const bad = structuredClone(now);
    const bytes = b.backend === 'fs' ? bad[slot] : bad[slot].data;
    bytes[30] ^= 1;
    await files.write(bad);
    await assert.rejects(mx.store.open(opts), code('STORE_CORRUPT'));
    await files.write(now);
    s = await mx.store.open(opts);
    await s.close();
  });

  if (b.deviceOpts) {
    test(`${b.backend}: a device on a restored copy opens only with allowRollback, and then starts a new room session`, async () => {
      const storeKey = randomBytes(32);
      const opts = { userId: '@r:example.org', deviceId: 'R', store: 'dev', storeKey, ...b.deviceOpts };
      const files = b.files('dev');
      let dev = await mx.openDevice(opts);
      const first = await dev.encryptRoomEvent('!room:example.org', 'm.room.message', { body: 'one' });
      const old = await files.read();
      const second = await dev.encryptRoomEvent('!room:example.org', 'm.room.message', { body: 'two' });
      assert.equal(second.sessionId, first.sessionId);
      await dev.close();

      await files.write(old);
      await assert.rejects(mx.openDevice(opts), code('STORE_ROLLED_BACK'));
      dev = await mx.openDevice({ ...opts, allowRollback: true });
      const third = await dev.encryptRoomEvent('!room:example.org', 'm.room.message', { body: 'three' });
      assert.notEqual(third.sessionId, first.sessionId, 'the session that sent after the copy is not used again');
      await dev.close();
      dev = await mx.openDevice(opts);
      await dev.close();
    });
  }
}
