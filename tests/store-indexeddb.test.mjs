// The store's JS API over hackpadfs's IndexedDB backend, with fake-indexeddb
// as Node's IndexedDB (real Chromium: tests/browser-store.test.mjs).
import 'fake-indexeddb/auto';
import { initTest } from './helpers/debug-build.mjs';
import { storeSuite } from './helpers/store-suite.mjs';

const mx = await initTest();
// One database per store, as separate sites would have.
storeSuite(mx, 'indexeddb', (name) => ({ backend: 'indexeddb', database: `db-${name}` }));
