// A device of ours and a device driven by libolm 3.2.15 (@matrix-org/olm)
// exchange to-device and room messages both ways, in the JSON shapes a
// Matrix client sends: signed device keys and one-time keys, the Olm
// payload (sender, recipient, recipient_keys, keys), m.room_key,
// m.room.encrypted.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMx, loadOlm } from './helpers/peers.mjs';

let mx;
let Olm;
before(async () => {
  [mx, Olm] = await Promise.all([loadMx(), loadOlm()]);
});

const PEER = { userId: '@olm:example.org', deviceId: 'LIBOLM' };
const ROOM = '!interop:example.org';

/** A Matrix device written directly against libolm, as old clients were. */
class LibolmDevice {
  constructor() {
    this.account = new Olm.Account();
    this.account.create();
    this.keys = JSON.parse(this.account.identity_keys());
    this.sessions = [];
  }

  async signed(obj) {
    const sig = this.account.sign(await mx.canonicalJSON(obj));
    return { ...obj, signatures: { [PEER.userId]: { [`ed25519:${PEER.deviceId}`]: sig } } };
  }

  async deviceKeys() {
    return this.signed({
      user_id: PEER.userId, device_id: PEER.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: { [`curve25519:${PEER.deviceId}`]: this.keys.curve25519, [`ed25519:${PEER.deviceId}`]: this.keys.ed25519 },
    });
  }

  async claimedKey() {
    this.account.generate_one_time_keys(1);
    const [[id, key]] = Object.entries(JSON.parse(this.account.one_time_keys()).curve25519);
    this.account.mark_keys_as_published();
    return { [`signed_curve25519:${id}`]: await this.signed({ key }) };
  }

  /** Decrypts an m.room.encrypted to-device content from `from` and checks the payload. */
  decrypt(from, content) {
    assert.equal(content.algorithm, 'm.olm.v1.curve25519-aes-sha2');
    assert.equal(content.sender_key, from.identityKeys.curve25519);
    const { type, body } = content.ciphertext[this.keys.curve25519];
    // A normal message belongs to the session we have; a pre-key message to
    // the session it matches, or to a new one.
    let session = type === 1 ? this.sessions[0] : this.sessions.find((s) => s.matches_inbound_from(content.sender_key, body));
    if (!session) {
      assert.equal(type, 0, 'a new session starts with a pre-key message');
      session = new Olm.Session();
      session.create_inbound_from(this.account, content.sender_key, body);
      this.account.remove_one_time_keys(session);
      this.sessions.push(session);
    }
    const payload = JSON.parse(session.decrypt(type, body));
    assert.equal(payload.sender, from.userId);
    assert.equal(payload.recipient, PEER.userId);
    assert.deepEqual(payload.recipient_keys, { ed25519: this.keys.ed25519 });
    assert.deepEqual(payload.keys, { ed25519: from.identityKeys.ed25519 });
    return payload;
  }

  encrypt(to, type, content) {
    const session = this.sessions[0];
    const payload = {
      type, content, sender: PEER.userId, sender_device: PEER.deviceId,
      recipient: to.userId, recipient_keys: { ed25519: to.identityKeys.ed25519 }, keys: { ed25519: this.keys.ed25519 },
    };
    const msg = session.encrypt(JSON.stringify(payload));
    return { algorithm: 'm.olm.v1.curve25519-aes-sha2', sender_key: this.keys.curve25519, ciphertext: { [to.identityKeys.curve25519]: msg } };
  }

  free() {
    for (const s of this.sessions) s.free();
    this.account.free();
  }
}

test('our device and a libolm device exchange to-device and room messages both ways', async () => {
  const peer = new LibolmDevice();
  const ours = await mx.openDevice({ userId: '@ours:example.org', deviceId: 'OURS', store: 'interop', backend: 'memory', storeKey: new Uint8Array(32).fill(3) });
  try {
    const query = { device_keys: { [PEER.userId]: { [PEER.deviceId]: await peer.deviceKeys() } } };
    const claim = { one_time_keys: { [PEER.userId]: { [PEER.deviceId]: await peer.claimedKey() } } };
    const made = await ours.createOutboundSessions(query, claim);
    assert.deepEqual(made.failures, []);
    assert.equal(made.sessions.length, 1);

    // Ours → libolm over Olm, then libolm answers in the same session.
    const payload = peer.decrypt(ours, await ours.encryptToDevice(PEER, 'm.dummy', { n: 1 }));
    assert.deepEqual(payload.content, { n: 1 });
    const answer = await ours.decryptToDevice({ type: 'm.room.encrypted', sender: PEER.userId, content: peer.encrypt(ours, 'm.dummy', { n: 2 }) });
    assert.deepEqual(answer.content, { n: 2 });
    assert.equal(answer.verified, true);
    assert.equal(answer.senderEd25519, peer.keys.ed25519);

    // libolm's room key and room message, read by us.
    const out = new Olm.OutboundGroupSession();
    out.create();
    const roomKey = { algorithm: 'm.megolm.v1.aes-sha2', room_id: ROOM, session_id: out.session_id(), session_key: out.session_key() };
    const keyEvent = await ours.decryptToDevice({ type: 'm.room.encrypted', sender: PEER.userId, content: peer.encrypt(ours, 'm.room_key', roomKey) });
    assert.equal(await ours.importRoomKey(keyEvent.content, { kind: keyEvent.type, senderKey: keyEvent.senderKey, senderEd25519: keyEvent.senderEd25519 }), 'imported');
    const ciphertext = out.encrypt(JSON.stringify({ type: 'm.room.message', content: { body: 'from libolm' }, room_id: ROOM }));
    const clear = await ours.decryptRoomEvent(ROOM, {
      event_id: '$l', content: { algorithm: 'm.megolm.v1.aes-sha2', sender_key: peer.keys.curve25519, device_id: PEER.deviceId, session_id: out.session_id(), ciphertext },
    });
    assert.deepEqual(clear.content, { body: 'from libolm' });
    assert.equal(clear.senderKey, peer.keys.curve25519);
    out.free();

    // Our room key and room message, read by libolm.
    const enc = await ours.encryptRoomEvent(ROOM, 'm.room.message', { body: 'from mxcrypto' });
    const shared = peer.decrypt(ours, await ours.encryptToDevice(PEER, 'm.room_key', enc.roomKey));
    assert.equal(shared.type, 'm.room_key');
    assert.equal(shared.content.room_id, ROOM);
    const inbound = new Olm.InboundGroupSession();
    inbound.create(shared.content.session_key);
    assert.equal(inbound.session_id(), enc.content.session_id);
    const { plaintext, message_index } = inbound.decrypt(enc.content.ciphertext);
    assert.equal(message_index, 0);
    assert.deepEqual(JSON.parse(plaintext), { type: 'm.room.message', content: { body: 'from mxcrypto' }, room_id: ROOM });
    assert.equal(enc.content.sender_key, ours.identityKeys.curve25519);
    inbound.free();
  } finally {
    peer.free();
    await ours.close();
  }
});
