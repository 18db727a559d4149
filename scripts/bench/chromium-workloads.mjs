// The W1–W6 workloads of the Chromium benchmark (scripts/bench/chromium.mjs),
// run inside one page against mxcrypto, libolm (@matrix-org/olm) and, where
// its API has the operation, matrix-sdk-crypto-wasm. Each workload has a
// prepare step per implementation (untimed) that returns the timed step;
// a round times N steps.
//
//   W1  Olm session setup: outbound session from a one-time key, a first
//       (pre-key) message, the inbound session from it and its decryption
//   W2  Olm 1 KiB messages alternating direction (a ratchet step each)
//   W3  Megolm encrypt 1 KiB
//   W4  Megolm decrypt 1 KiB (messages from libolm)
//   W5  key backup encrypt, one key per call (PkEncryption)
//   W6  key backup decrypt, one key per call (PkDecryption)
//
// The device-API workloads compare mxcrypto's machine (mx.openMachine, memory
// store) with matrix-sdk-crypto-wasm's OlmMachine doing the same work over
// the in-memory relay of the machine tests (tests/helpers/machine-relay.mjs):
//   W7  room event encrypt (key already shared)
//   W8  room event decrypt, one event per call
//   W9  session setup incl. the key query: a fresh pair of devices, the
//       sender tracks the receiver, queries, claims, shares the room key; the
//       receiver syncs it in (one step = one pair)
//   W10 to-device Olm message on an established session: the sender
//       encrypts a to-device event for the receiver's device, the receiver
//       takes it in through its sync processing (receiveSyncChanges)

const TEXT = 'x'.repeat(1024);
const SESSION_DATA = {
  algorithm: 'm.megolm.v1.aes-sha2',
  sender_key: 'JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4',
  sender_claimed_keys: { ed25519: 'R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4' },
  forwarding_curve25519_key_chain: [],
  session_key: 'AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E',
};
import { Relay, ourPeer, rustPeer } from '/tests/helpers/machine-relay.mjs';

const ROOM = '!bench:example.org';
const USERS = ['@alice:example.org', '@bob:example.org'];
const storeKey = new Uint8Array(32).fill(7);
let machineSeq = 0;

/** Two devices of one kind ('mxcrypto' or 'rust') in a room, keys uploaded. */
async function pair(kind, { mx, rust }, relay = new Relay()) {
  const tag = `${Date.now()}-${++machineSeq}`;
  const make = kind === 'mxcrypto'
    ? async (user, dev) => ourPeer(relay, await mx.openMachine({ userId: user, deviceId: dev, store: `bench-${dev}-${tag}`, backend: 'memory', storeKey }))
    : (user, dev) => rustPeer(relay, rust, user, dev);
  const alice = await make(USERS[0], 'ALICE');
  const bob = await make(USERS[1], 'BOB');
  await alice.flush();
  await bob.flush();
  await alice.sync();
  await bob.sync();
  return { alice, bob, relay };
}

const encryptWith = (kind, peer, content) => (kind === 'mxcrypto'
  ? peer.m.encryptRoomEvent(ROOM, 'm.room.message', content)
  : peer.encrypt(ROOM, 'm.room.message', content));
const decryptWith = async (kind, peer, event) => (kind === 'mxcrypto'
  ? (await peer.m.decryptRoomEvent(ROOM, event)).content
  : (await peer.decrypt(ROOM, event)).content);
const closePeers = async (...peers) => { for (const p of peers) await p.m.close?.(); };
let eventSeq = 0;
const roomEvent = (content) => ({ type: 'm.room.encrypted', sender: USERS[0], room_id: ROOM, event_id: `$b${++eventSeq}`, origin_server_ts: 1, content });

function deviceWorkloads(kind) {
  return {
    W7: async (libs, n) => {
      const { alice, bob } = await pair(kind, libs);
      await alice.share(ROOM, USERS);
      return async () => {
        for (let i = 0; i < n; i++) await encryptWith(kind, alice, { msgtype: 'm.text', body: TEXT });
        await closePeers(alice, bob);
      };
    },
    W8: async (libs, n) => {
      const { alice, bob } = await pair(kind, libs);
      await alice.share(ROOM, USERS);
      const events = [];
      for (let i = 0; i < n; i++) events.push(roomEvent(await encryptWith(kind, alice, { msgtype: 'm.text', body: TEXT })));
      await bob.sync();
      return async () => {
        for (const e of events) if ((await decryptWith(kind, bob, e)).body.length !== TEXT.length) throw new Error(`W8 ${kind}`);
        await closePeers(alice, bob);
      };
    },
    W10: async (libs, n) => {
      const { alice, bob } = await pair(kind, libs);
      await alice.share(ROOM, USERS); // opens the Olm session alice → bob
      await bob.sync();
      const send = kind === 'mxcrypto'
        ? (content) => alice.m.device.encryptToDevice({ userId: USERS[1], deviceId: 'BOB' }, 'm.bench', content)
        : async (content) => {
          const device = await alice.m.getDevice(new libs.rust.UserId(USERS[1]), new libs.rust.DeviceId('BOB'));
          return JSON.parse(await device.encryptToDeviceEvent('m.bench', content));
        };
      const receive = kind === 'mxcrypto'
        ? async (event) => (await bob.m.receiveSyncChanges({ toDeviceEvents: [event] })).toDeviceEvents[0]?.content?.body
        : async (event) => {
          const rs = libs.rust;
          const [r] = await bob.m.receiveSyncChanges(JSON.stringify([event]), new rs.DeviceLists(), new Map([['signed_curve25519', 50]]), new Set(['signed_curve25519']));
          return r?.rawEvent ? JSON.parse(r.rawEvent).content?.body : undefined;
        };
      return async () => {
        for (let i = 0; i < n; i++) {
          const content = await send({ body: `m${i}` });
          if ((await receive({ type: 'm.room.encrypted', sender: USERS[0], content })) !== `m${i}`) throw new Error(`W10 ${kind}`);
        }
        await closePeers(alice, bob);
      };
    },
    W9: async (libs, n) => {
      const pairs = [];
      for (let i = 0; i < n; i++) pairs.push(await pair(kind, libs));
      return async () => {
        for (const { alice, bob } of pairs) {
          await alice.share(ROOM, USERS);
          await bob.sync();
        }
        // One decrypt proves the keys arrived (the same small cost for both).
        for (const { alice, bob } of pairs.slice(0, 1)) {
          const e = roomEvent(await encryptWith(kind, alice, { body: 'x' }));
          if ((await decryptWith(kind, bob, e)).body !== 'x') throw new Error(`W9 ${kind}`);
        }
        for (const { alice, bob } of pairs) await closePeers(alice, bob);
      };
    },
  };
}

const b64 = (u8) => btoa(String.fromCharCode(...u8)).replace(/=+$/, '');

/** Steps per round of each workload (one-time keys: libolm keeps at most 100). */
// W7/W8: 100 messages, the default rotation period of both machines.
export const STEPS = { W1: 40, W2: 200, W3: 500, W4: 500, W5: 200, W6: 200, W7: 100, W8: 100, W9: 10, W10: 100 };

/**
 * prepare[workload][impl](libs, n) resolves to an async function running n
 * steps, or is missing when the implementation has no such operation.
 */
export const prepare = {
  W1: {
    async mxcrypto({ mx }, n) {
      const alice = await mx.olm.createAccount();
      const bob = await mx.olm.createAccount();
      await bob.generateOneTimeKeys(n);
      const otks = Object.values(await bob.unpublishedOneTimeKeys());
      await bob.markKeysAsPublished();
      return async () => {
        for (const otk of otks) {
          const s = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
          const m = await s.encrypt('hello');
          const { plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, m);
          if (plaintext !== 'hello') throw new Error('W1 mxcrypto: wrong plaintext');
        }
      };
    },
    async libolm({ Olm }, n) {
      const alice = new Olm.Account();
      alice.create();
      const bob = new Olm.Account();
      bob.create();
      bob.generate_one_time_keys(n);
      const otks = Object.values(JSON.parse(bob.one_time_keys()).curve25519);
      bob.mark_keys_as_published();
      const aliceKey = JSON.parse(alice.identity_keys()).curve25519;
      const bobKey = JSON.parse(bob.identity_keys()).curve25519;
      return async () => {
        for (const otk of otks) {
          const s = new Olm.Session();
          s.create_outbound(alice, bobKey, otk);
          const m = s.encrypt('hello');
          const r = new Olm.Session();
          r.create_inbound_from(bob, aliceKey, m.body);
          bob.remove_one_time_keys(r);
          if (r.decrypt(m.type, m.body) !== 'hello') throw new Error('W1 libolm: wrong plaintext');
          s.free();
          r.free();
        }
        alice.free();
        bob.free();
      };
    },
  },
  W2: {
    async mxcrypto({ mx }, n) {
      const alice = await mx.olm.createAccount();
      const bob = await mx.olm.createAccount();
      await bob.generateOneTimeKeys(1);
      const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
      const a = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
      const { session: b } = await bob.createInboundSession(alice.identityKeys.curve25519, await a.encrypt('hi'));
      await a.decrypt(await b.encrypt('hi'));
      return async () => {
        for (let i = 0; i < n; i++) {
          const [from, to] = i % 2 ? [b, a] : [a, b];
          if ((await to.decrypt(await from.encrypt(TEXT))).length !== TEXT.length) throw new Error('W2 mxcrypto');
        }
      };
    },
    async libolm({ Olm }, n) {
      const alice = new Olm.Account();
      alice.create();
      const bob = new Olm.Account();
      bob.create();
      bob.generate_one_time_keys(1);
      const otk = Object.values(JSON.parse(bob.one_time_keys()).curve25519)[0];
      const a = new Olm.Session();
      a.create_outbound(alice, JSON.parse(bob.identity_keys()).curve25519, otk);
      const m0 = a.encrypt('hi');
      const b = new Olm.Session();
      b.create_inbound(bob, m0.body);
      b.decrypt(m0.type, m0.body);
      const m1 = b.encrypt('hi');
      a.decrypt(m1.type, m1.body);
      return async () => {
        for (let i = 0; i < n; i++) {
          const [from, to] = i % 2 ? [b, a] : [a, b];
          const m = from.encrypt(TEXT);
          if (to.decrypt(m.type, m.body).length !== TEXT.length) throw new Error('W2 libolm');
        }
        for (const x of [a, b, alice, bob]) x.free();
      };
    },
  },
  W3: {
    async mxcrypto({ mx }, n) {
      const o = await mx.megolm.createOutboundSession();
      return async () => { for (let i = 0; i < n; i++) await o.encrypt(TEXT); };
    },
    async libolm({ Olm }, n) {
      const o = new Olm.OutboundGroupSession();
      o.create();
      return async () => {
        for (let i = 0; i < n; i++) o.encrypt(TEXT);
        o.free();
      };
    },
  },
  W4: {
    async mxcrypto({ mx, Olm }, n) {
      const { key, msgs } = megolmMessages(Olm, n);
      const inb = await mx.megolm.createInboundSession(key);
      return async () => {
        for (const m of msgs) if ((await inb.decrypt(m)).plaintext.length !== TEXT.length) throw new Error('W4 mxcrypto');
      };
    },
    async libolm({ Olm }, n) {
      const { key, msgs } = megolmMessages(Olm, n);
      const inb = new Olm.InboundGroupSession();
      inb.create(key);
      return async () => {
        for (const m of msgs) if (inb.decrypt(m).plaintext.length !== TEXT.length) throw new Error('W4 libolm');
        inb.free();
      };
    },
  },
  W5: {
    async mxcrypto({ mx }, n) {
      const { publicKey } = await mx.backup.createKey();
      return async () => { for (let i = 0; i < n; i++) await mx.backup.encrypt(publicKey, { ...SESSION_DATA, n: i }); };
    },
    async libolm({ Olm, mx }, n) {
      const { publicKey } = await mx.backup.createKey();
      const enc = new Olm.PkEncryption();
      enc.set_recipient_key(publicKey);
      return async () => {
        for (let i = 0; i < n; i++) enc.encrypt(JSON.stringify({ ...SESSION_DATA, n: i }));
        enc.free();
      };
    },
    async rust({ rust, mx }, n) {
      const { publicKey } = await mx.backup.createKey();
      const enc = rust.PkEncryption.fromKey(new rust.Curve25519PublicKey(publicKey));
      return async () => { for (let i = 0; i < n; i++) enc.encryptString(JSON.stringify({ ...SESSION_DATA, n: i })).free(); };
    },
  },
  W6: {
    async mxcrypto({ mx, Olm }, n) {
      const { privateKey, msgs } = await backupMessages(mx, Olm, n);
      return async () => {
        for (const m of msgs) if (!(await mx.backup.decrypt(privateKey, m)).session_key) throw new Error('W6 mxcrypto');
      };
    },
    async libolm({ mx, Olm }, n) {
      const { privateKey, msgs } = await backupMessages(mx, Olm, n);
      const dec = new Olm.PkDecryption();
      dec.init_with_private_key(privateKey);
      return async () => {
        for (const m of msgs) if (!JSON.parse(dec.decrypt(m.ephemeral, m.mac, m.ciphertext)).session_key) throw new Error('W6 libolm');
        dec.free();
      };
    },
    async rust({ mx, Olm, rust }, n) {
      const { privateKey, msgs } = await backupMessages(mx, Olm, n);
      const key = rust.BackupDecryptionKey.fromBase64(b64(privateKey));
      return async () => {
        for (const m of msgs) if (!JSON.parse(key.decryptV1(m.ephemeral, m.mac, m.ciphertext)).session_key) throw new Error('W6 rust');
        key.free();
      };
    },
  },
};

for (const w of ['W7', 'W8', 'W9', 'W10']) {
  prepare[w] = { mxcrypto: deviceWorkloads('mxcrypto')[w], rust: deviceWorkloads('rust')[w] };
}

function megolmMessages(Olm, n) {
  const o = new Olm.OutboundGroupSession();
  o.create();
  const key = o.session_key();
  const msgs = Array.from({ length: n }, () => o.encrypt(TEXT));
  o.free();
  return { key, msgs };
}

async function backupMessages(mx, Olm, n) {
  const { privateKey, publicKey } = await mx.backup.createKey();
  const enc = new Olm.PkEncryption();
  enc.set_recipient_key(publicKey);
  const msgs = Array.from({ length: n }, (_, i) => enc.encrypt(JSON.stringify({ ...SESSION_DATA, n: i })));
  enc.free();
  return { privateKey, msgs };
}
