// Provenance of room keys (issue 11 §4), side by side with
// matrix-sdk-crypto-wasm 18.9.0's OlmMachine on the same inputs: Alice (a
// device of ours) shares a room key over Olm at index 2 with Bob (a device
// of ours) and with an OlmMachine; then both get copies of the session from
// index 0 from a key export file and from a backup, one honest and one
// claiming another creator's Ed25519 key.
//
// Both refuse the lying copy (ours counts it as ROOM_KEY_CONFLICT; the
// machine's importedCount stays 0) and keep attributing events to Alice;
// both take the honest copy's earlier ratchet, and neither downgrades the
// events, the earlier ones included, to "authenticity not guaranteed"
// (ours: imported false; the machine: a shield code other than
// AuthenticityNotGuaranteed, as it finds Alice's device from its /keys/query
// answer). Every message is signed by the session key that the Olm-received
// key bound to Alice, which is why that holds (device/inbound.go, keep).
//
// m.forwarded_room_key is not compared here: OlmMachine accepts forwards
// only as answers to its own key requests from the user's own verified
// devices; device/provenance_test.go covers our side of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMx, loadRustSdk } from './helpers/peers.mjs';

const ROOM = '!prov:example.org';
const RUST = { userId: '@rust:example.org', deviceId: 'RUST' };
const ALICE = { userId: '@alice:example.org', deviceId: 'ALICE' };
const BOB = { userId: '@bob:example.org', deviceId: 'BOB' };
const PASS = 'export passphrase';

let mx;
let rs;
before(async () => {
  [mx, rs] = await Promise.all([loadMx(), loadRustSdk()]);
});

let storeSeq = 0;
const openDevice = (who) => mx.openDevice({ ...who, store: `prov-${++storeSeq}`, backend: 'memory', storeKey: new Uint8Array(32).fill(storeSeq) });

/** Answers the OlmMachine's outgoing requests: uploads (counted), queries (Alice's keys). */
async function pump(machine, aliceKeys, uploads) {
  for (const req of await machine.outgoingRequests()) {
    let response;
    if (req.type === rs.RequestType.KeysUpload) {
      const body = JSON.parse(req.body);
      uploads.push(body);
      response = { one_time_key_counts: { signed_curve25519: Object.keys(body.one_time_keys ?? {}).length } };
    } else if (req.type === rs.RequestType.KeysQuery) {
      response = { device_keys: { [ALICE.userId]: { [ALICE.deviceId]: aliceKeys } }, failures: {} };
    } else {
      continue;
    }
    await machine.markRequestAsSent(req.id, req.type, JSON.stringify(response));
  }
}

/** The shared scene: Alice, Bob and an OlmMachine, four events, keys at index 2. */
async function scene() {
  const alice = await openDevice(ALICE);
  const bob = await openDevice(BOB);
  const aliceUpload = await alice.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
  await alice.markKeysUploaded({ one_time_key_counts: {} });
  const bobUpload = await bob.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
  await bob.markKeysUploaded({ one_time_key_counts: {} });

  const machine = await rs.OlmMachine.initialize(new rs.UserId(RUST.userId), new rs.DeviceId(RUST.deviceId));
  await machine.updateTrackedUsers([new rs.UserId(ALICE.userId)]);
  const uploads = [];
  await pump(machine, aliceUpload.device_keys, uploads);
  const rustUpload = uploads.find((u) => u.device_keys);
  const [otkId, otk] = Object.entries(rustUpload.one_time_keys)[0];
  const [bobOtkId, bobOtk] = Object.entries(bobUpload.one_time_keys)[0];
  const query = { device_keys: { [RUST.userId]: { [RUST.deviceId]: rustUpload.device_keys }, [BOB.userId]: { [BOB.deviceId]: bobUpload.device_keys } }, failures: {} };
  const claim = { one_time_keys: { [RUST.userId]: { [RUST.deviceId]: { [otkId]: otk } }, [BOB.userId]: { [BOB.deviceId]: { [bobOtkId]: bobOtk } } } };
  const made = await alice.createOutboundSessions(query, claim);
  assert.deepEqual(made.failures, []);
  assert.equal(made.sessions.length, 2);

  const events = [];
  let sessionId;
  let lateKey;
  for (let i = 0; i < 4; i++) {
    const enc = await alice.encryptRoomEvent(ROOM, 'm.room.message', { body: `m${i}` });
    sessionId = enc.sessionId;
    events.push({ event_id: `$e${i}`, sender: ALICE.userId, origin_server_ts: 1_700_000_000_000 + i, type: 'm.room.encrypted', room_id: ROOM, content: enc.content });
    if (i === 1) lateKey = await alice.roomKeyContent(ROOM);
  }
  // The key at index 2, over Olm, to both.
  const toBob = await alice.encryptToDevice(BOB, 'm.room_key', lateKey);
  const ev = await bob.decryptToDevice({ type: 'm.room.encrypted', sender: ALICE.userId, content: toBob });
  assert.equal(await bob.importRoomKey(ev.content, { kind: ev.type, senderKey: ev.senderKey, senderEd25519: ev.senderEd25519 }), 'imported');
  const toRust = await alice.encryptToDevice(RUST, 'm.room_key', lateKey);
  await machine.receiveSyncChanges(JSON.stringify([{ type: 'm.room.encrypted', sender: ALICE.userId, content: toRust }]), new rs.DeviceLists(), new Map([['signed_curve25519', 50]]), new Set());

  // Alice's copy from index 0 as export/backup session data.
  const fwd = await alice.forwardRoomKey(ROOM, sessionId);
  const honest = {
    algorithm: fwd.algorithm, room_id: ROOM, session_id: sessionId, sender_key: fwd.sender_key, session_key: fwd.session_key,
    sender_claimed_keys: { ed25519: fwd.sender_claimed_ed25519_key }, forwarding_curve25519_key_chain: [],
  };
  const liar = { ...honest, sender_claimed_keys: { ed25519: bob.identityKeys.ed25519 } };
  return { alice, bob, machine, events, sessionId, honest, liar };
}

/** What each side makes of event i: { body, ed25519, curve25519, proven } or { error }. */
async function oursReads(s, i) {
  try {
    const r = await s.bob.decryptRoomEvent(ROOM, s.events[i]);
    return { body: r.content.body, curve25519: r.senderKey, ed25519: r.senderEd25519, proven: !r.imported };
  } catch (e) {
    return { error: e.code };
  }
}

async function rustReads(s, i) {
  try {
    const settings = new rs.DecryptionSettings(rs.TrustRequirement.Untrusted);
    const r = await s.machine.decryptRoomEvent(JSON.stringify(s.events[i]), new rs.RoomId(ROOM), settings);
    const shield = r.shieldState(false);
    return {
      body: JSON.parse(r.event).content.body, curve25519: r.senderCurve25519Key, ed25519: r.senderClaimedEd25519Key,
      proven: shield.code !== rs.ShieldStateCode.AuthenticityNotGuaranteed,
    };
  } catch (e) {
    return { error: 'failed' };
  }
}

const deliveries = {
  async 'key export file'(s, data) {
    // The file is written by matrix-sdk-crypto, read by both.
    const text = rs.OlmMachine.encryptExportedRoomKeys(JSON.stringify([data]), PASS, 1000);
    const ours = await s.bob.importRoomKeys(text, PASS);
    const theirs = await s.machine.importExportedRoomKeys(rs.OlmMachine.decryptExportedRoomKeys(text, PASS), () => {});
    return { ours, theirs: theirs.importedCount };
  },
  async 'backup entry'(s, data) {
    const { room_id: roomId, session_id: sessionId, ...sessionData } = data;
    const key = await mx.backup.createKey();
    if (!s.backupEnabled) {
      s.backupKey = key;
      await s.bob.enableBackup({ version: '1', publicKey: key.publicKey });
      s.backupEnabled = true;
    }
    const body = { rooms: { [roomId]: { sessions: { [sessionId]: {
      first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: await mx.backup.encrypt(s.backupKey.publicKey, sessionData),
    } } } } };
    const ours = await s.bob.restoreBackup(s.backupKey.privateKey, body);
    const theirs = await s.machine.importBackedUpRoomKeys(new Map([[new rs.RoomId(roomId), new Map([[sessionId, sessionData]])]]), undefined, '1');
    return { ours, theirs: theirs.importedCount };
  },
};

describe('room-key provenance vs matrix-sdk-crypto OlmMachine', () => {
  const opened = [];
  after(async () => {
    for (const s of opened) {
      await s.alice.close();
      await s.bob.close();
      s.machine.close();
    }
  });

  for (const [how, deliver] of Object.entries(deliveries)) {
    test(`${how}: a copy naming another creator is refused by both; the honest one extends both`, { timeout: 60_000 }, async () => {
      const s = await scene();
      opened.push(s);
      const alice = { curve25519: s.alice.identityKeys.curve25519, ed25519: s.alice.identityKeys.ed25519 };
      // After the Olm key: both read events 2 and 3 as Alice's, not 0 and 1.
      for (let i = 0; i < 4; i++) {
        const [ours, theirs] = [await oursReads(s, i), await rustReads(s, i)];
        if (i < 2) {
          assert.equal(ours.error, 'UNKNOWN_MESSAGE_INDEX');
          assert.equal(theirs.error, 'failed');
        } else {
          assert.deepEqual(ours, { body: `m${i}`, ...alice, proven: true });
          assert.deepEqual(theirs, ours, `event ${i}: both read it the same way`);
        }
      }

      // The lying copy: refused by both, nothing changes.
      const lie = await deliver(s, s.liar);
      assert.equal(lie.theirs, 0, 'OlmMachine refuses a copy naming another creator');
      assert.deepEqual(lie.ours, { total: 1, imported: 0, skipped: 0, failures: { ROOM_KEY_CONFLICT: 1 } });
      for (let i = 0; i < 4; i++) {
        const [ours, theirs] = [await oursReads(s, i), await rustReads(s, i)];
        if (i < 2) assert.ok(ours.error && theirs.error, `event ${i} stays unreadable`);
        else assert.deepEqual(theirs, ours);
      }

      // The honest copy: both take its earlier ratchet, still name Alice and
      // still count every event, the earlier ones too, as authenticated.
      const good = await deliver(s, s.honest);
      assert.equal(good.theirs, 1);
      assert.deepEqual(good.ours, { total: 1, imported: 1, skipped: 0, failures: {} });
      for (let i = 0; i < 4; i++) {
        const [ours, theirs] = [await oursReads(s, i), await rustReads(s, i)];
        assert.deepEqual(ours, { body: `m${i}`, ...alice, proven: true }, `event ${i}: ours keeps the Olm-proven provenance`);
        assert.deepEqual(theirs, ours, `event ${i}: OlmMachine reads it the same way`);
      }
    });
  }

  test('ours: m.room_key after a claimed copy upgrades its provenance, keeping the earlier ratchet', { timeout: 60_000 }, async () => {
    // Here the order is reversed: Bob and the machine get the honest file
    // first, then Alice's m.room_key from index 2 over Olm.
    const s = await scene(); // (its receivers already have the Olm key: a fresh one here)
    opened.push(s);
    const bob2 = await openDevice({ userId: BOB.userId, deviceId: 'BOB2' });
    const text = rs.OlmMachine.encryptExportedRoomKeys(JSON.stringify([s.honest]), PASS, 1000);
    assert.deepEqual(await bob2.importRoomKeys(text, PASS), { total: 1, imported: 1, skipped: 0, failures: {} });
    const r0 = await bob2.decryptRoomEvent(ROOM, s.events[0]);
    assert.equal(r0.imported, true);
    // A key of the same session over Olm upgrades it: needs an Olm session Alice → Bob2.
    const up = await bob2.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
    await bob2.markKeysUploaded({ one_time_key_counts: {} });
    const [id, otk] = Object.entries(up.one_time_keys)[0];
    await s.alice.createOutboundSessions({ device_keys: { [BOB.userId]: { BOB2: up.device_keys } }, failures: {} }, { one_time_keys: { [BOB.userId]: { BOB2: { [id]: otk } } } });
    const late = await s.alice.roomKeyContent(ROOM);
    const enc = await s.alice.encryptToDevice({ userId: BOB.userId, deviceId: 'BOB2' }, 'm.room_key', late);
    const ev = await bob2.decryptToDevice({ type: 'm.room.encrypted', sender: ALICE.userId, content: enc });
    assert.equal(await bob2.importRoomKey(ev.content, { kind: ev.type, senderKey: ev.senderKey, senderEd25519: ev.senderEd25519 }), 'imported');
    for (let i = 0; i < 4; i++) {
      const r = await bob2.decryptRoomEvent(ROOM, s.events[i]);
      assert.equal(r.content.body, `m${i}`);
      assert.equal(r.imported, false, `event ${i} is proven after the Olm key`);
    }
    await bob2.close();
  });
});
