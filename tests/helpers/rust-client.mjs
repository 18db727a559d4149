// A small Matrix client around matrix-sdk-crypto-wasm's OlmMachine, driven
// over HTTP against a real homeserver: the independent peer of the
// homeserver tests. Test-only; it does what Element Web's crypto glue does,
// no more: /sync → receiveSyncChanges, outgoingRequests → HTTP →
// markRequestAsSent, room members tracked and given the room key before a
// send, timeline events decrypted (retried when a key arrives later).
//
//   const bob = await RustClient.create(proxyOrHs.baseUrl, await hs.registerUser('bob'));
//   await bob.sync();                       // one /sync round (+ outgoing requests)
//   const roomId = await bob.createEncryptedRoom({ invite: [alice.userId] });
//   await bob.sendMessage(roomId, { msgtype: 'm.text', body: 'hi' });
//   const ev = await bob.waitForMessage(roomId, (e) => e.content.body === 'hi');
import { loadRustSdk } from './peers.mjs';

const CLIENT = '/_matrix/client/v3';

/** A failed Matrix request: status and the errcode/error from the body. */
export class MatrixHttpError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status} ${body?.errcode ?? ''} ${body?.error ?? ''}`.trim());
    this.status = status;
    this.errcode = body?.errcode;
    this.body = body;
  }
}

/** One JSON request with a bearer token; throws MatrixHttpError on non-2xx. */
export async function matrixRequest(baseUrl, token, method, path, body, { timeoutMs = 60000 } = {}) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : {}; } catch { json = { raw: text }; }
  if (!res.ok) throw new MatrixHttpError(method, path, res.status, json);
  return json;
}

const enc = encodeURIComponent;
let txnCounter = 0;
const txnId = () => `rust-${Date.now()}-${++txnCounter}`;

export class RustClient {
  /** Creates the OlmMachine (in memory) for an existing login { userId, accessToken, deviceId }. */
  static async create(baseUrl, login) {
    const sdk = await loadRustSdk();
    const machine = await sdk.OlmMachine.initialize(new sdk.UserId(login.userId), new sdk.DeviceId(login.deviceId));
    const c = new RustClient(sdk, machine, baseUrl, login);
    await c.processOutgoing(); // the first keys upload
    return c;
  }

  constructor(sdk, machine, baseUrl, login) {
    this.sdk = sdk;
    this.machine = machine;
    this.baseUrl = baseUrl;
    this.userId = login.userId;
    this.deviceId = login.deviceId;
    this.accessToken = login.accessToken;
    this.since = undefined;
    /** Every timeline event seen: { roomId, event, clear?, error? } (clear = decrypted event). */
    this.timeline = [];
    /** The to-device events receiveSyncChanges returned (decrypted or not). */
    this.toDevice = [];
    this.invites = new Set();
    this.lastSync = null;
  }

  get identityKeys() {
    const k = this.machine.identityKeys;
    return { curve25519: k.curve25519.toBase64(), ed25519: k.ed25519.toBase64() };
  }

  request(method, path, body, opts) {
    return matrixRequest(this.baseUrl, this.accessToken, method, path, body, opts);
  }

  /** Sends one outgoing request of the machine over HTTP and marks it sent. */
  async sendOutgoing(req) {
    const T = this.sdk.RequestType;
    let response;
    switch (req.type) {
      case T.KeysUpload: response = await this.request('POST', `${CLIENT}/keys/upload`, req.body); break;
      case T.KeysQuery: response = await this.request('POST', `${CLIENT}/keys/query`, req.body); break;
      case T.KeysClaim: response = await this.request('POST', `${CLIENT}/keys/claim`, req.body); break;
      case T.ToDevice: response = await this.request('PUT', `${CLIENT}/sendToDevice/${enc(req.event_type)}/${enc(req.txn_id)}`, req.body); break;
      case T.SignatureUpload: response = await this.request('POST', `${CLIENT}/keys/signatures/upload`, req.body); break;
      case T.RoomMessage: response = await this.request('PUT', `${CLIENT}/rooms/${enc(req.room_id)}/send/${enc(req.event_type)}/${enc(req.txn_id)}`, req.body); break;
      case T.KeysBackup: response = await this.request('PUT', `${CLIENT}/room_keys/keys?version=${enc(req.version)}`, req.body); break;
      default: throw new Error(`rust client: unknown request type ${req.type}`);
    }
    if (req.id !== undefined) await this.machine.markRequestAsSent(req.id, req.type, JSON.stringify(response));
  }

  /** Sends every outgoing request until the machine has none left (bounded). */
  async processOutgoing() {
    for (let round = 0; round < 10; round++) {
      const reqs = await this.machine.outgoingRequests();
      if (!reqs.length) return;
      for (const r of reqs) await this.sendOutgoing(r);
    }
  }

  /** One /sync round: crypto changes into the machine, timeline decrypted, outgoing requests sent. */
  async sync({ timeoutMs = 0 } = {}) {
    const q = new URLSearchParams({ timeout: String(timeoutMs) });
    if (this.since) q.set('since', this.since);
    const r = await this.request('GET', `${CLIENT}/sync?${q}`, undefined, { timeoutMs: timeoutMs + 30000 });
    this.lastSync = r;
    const counts = new Map(Object.entries(r.device_one_time_keys_count ?? {}));
    const fallback = r.device_unused_fallback_key_types ? new Set(r.device_unused_fallback_key_types) : undefined;
    const lists = new this.sdk.DeviceLists(
      (r.device_lists?.changed ?? []).map((u) => new this.sdk.UserId(u)),
      (r.device_lists?.left ?? []).map((u) => new this.sdk.UserId(u)),
    );
    const processed = await this.machine.receiveSyncChanges(JSON.stringify(r.to_device?.events ?? []), lists, counts, fallback);
    for (const p of processed) this.toDevice.push({ type: p.type, event: JSON.parse(p.rawEvent) });
    for (const roomId of Object.keys(r.rooms?.invite ?? {})) this.invites.add(roomId);
    for (const [roomId, room] of Object.entries(r.rooms?.join ?? {})) {
      this.invites.delete(roomId);
      for (const event of room.timeline?.events ?? []) this.timeline.push({ roomId, event });
    }
    await this.decryptPending();
    this.since = r.next_batch;
    await this.processOutgoing();
    return r;
  }

  /** Tries again every encrypted timeline event not yet decrypted. */
  async decryptPending() {
    const settings = new this.sdk.DecryptionSettings(this.sdk.TrustRequirement.Untrusted);
    for (const item of this.timeline) {
      if (item.clear || item.event.type !== 'm.room.encrypted') continue;
      try {
        const d = await this.machine.decryptRoomEvent(JSON.stringify(item.event), new this.sdk.RoomId(item.roomId), settings);
        item.clear = JSON.parse(d.event);
        item.senderCurve25519Key = d.senderCurve25519Key;
        item.senderDevice = d.senderDevice?.toString();
        item.error = undefined;
      } catch (e) {
        item.error = e;
      }
    }
  }

  /** Syncs until predicate(this) is truthy; throws after timeoutMs. */
  async syncUntil(predicate, { timeoutMs = 60000, what = 'condition' } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await predicate(this);
      if (v) return v;
      if (Date.now() > until) throw new Error(`rust client ${this.userId}/${this.deviceId}: timed out waiting for ${what}`);
      await this.sync({ timeoutMs: 500 });
    }
  }

  /** The decrypted m.room.message events of a room, in timeline order. */
  messages(roomId) {
    return this.timeline.filter((t) => t.roomId === roomId && t.clear?.type === 'm.room.message').map((t) => t.clear);
  }

  /** Syncs until a decrypted message of the room satisfies match; returns it. */
  waitForMessage(roomId, match, opts = {}) {
    return this.syncUntil(() => this.messages(roomId).find(match), { what: `a message in ${roomId}`, ...opts });
  }

  async createEncryptedRoom({ invite = [], name } = {}) {
    const r = await this.request('POST', `${CLIENT}/createRoom`, {
      preset: 'private_chat',
      invite,
      ...(name ? { name } : {}),
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    return r.room_id;
  }

  invite(roomId, userId) {
    return this.request('POST', `${CLIENT}/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }

  async join(roomId) {
    await this.request('POST', `${CLIENT}/join/${enc(roomId)}`, {});
    this.invites.delete(roomId);
  }

  leave(roomId) {
    return this.request('POST', `${CLIENT}/rooms/${enc(roomId)}/leave`, {});
  }

  /** Joined and invited members of a room, from the server. */
  async members(roomId) {
    const r = await this.request('GET', `${CLIENT}/rooms/${enc(roomId)}/members`);
    return r.chunk.filter((e) => ['join', 'invite'].includes(e.content?.membership)).map((e) => e.state_key);
  }

  /**
   * Shares the room key with every member's devices (querying and claiming
   * as needed), then sends content encrypted. settings: EncryptionSettings fields.
   */
  async sendMessage(roomId, content, { type = 'm.room.message', settings = {} } = {}) {
    const sdk = this.sdk;
    const room = new sdk.RoomId(roomId);
    const memberIds = await this.members(roomId);
    // wasm-bindgen moves the UserId objects into each call: a fresh array each time.
    const members = () => memberIds.map((u) => new sdk.UserId(u));
    await this.machine.updateTrackedUsers(members());
    await this.processOutgoing(); // /keys/query for newly tracked users
    const claim = await this.machine.getMissingSessions(members());
    if (claim) await this.sendOutgoing(claim);
    const es = new sdk.EncryptionSettings();
    Object.assign(es, settings);
    for (const req of await this.machine.shareRoomKey(room, members(), es)) await this.sendOutgoing(req);
    const encrypted = await this.machine.encryptRoomEvent(room, type, JSON.stringify(content));
    const r = await this.request('PUT', `${CLIENT}/rooms/${enc(roomId)}/send/m.room.encrypted/${txnId()}`, encrypted);
    return r.event_id;
  }

  /** Frees the wasm-side machine. */
  close() {
    this.machine.close?.();
  }
}
