// An in-memory homeserver for machine tests: the key endpoints, to-device
// messages, device-list changes and key backup, answering the requests
// machines produce (ours: { id, type, method, path, body }; the Rust
// OlmMachine's are mapped to the same shape by rustPeer). No HTTP.
const PREFIX = '/_matrix/client/v3';

export class Relay {
  devices = new Map(); // user → Map(device → device keys)
  otks = new Map(); // "user|dev" → [{ name, obj, used }]
  fallback = new Map(); // "user|dev" → { name, obj, used }
  inbox = new Map(); // "user|dev" → events
  changed = new Map(); // "user|dev" → Set(user)
  txns = new Set();
  backupVersion = null;
  backup = new Map(); // room → Map(session → entry)
  log = [];

  #changedUser(user) {
    for (const [u, devs] of this.devices) for (const d of devs.keys()) {
      const k = `${u}|${d}`;
      if (!this.changed.has(k)) this.changed.set(k, new Set());
      this.changed.get(k).add(user);
    }
  }

  unclaimed(k) {
    return (this.otks.get(k) ?? []).filter((e) => !e.used).length;
  }

  /** → { status, body } */
  handle(user, dev, { method, path, body }) {
    const me = `${user}|${dev}`;
    const url = new URL(path, 'http://relay');
    const p = url.pathname.slice(PREFIX.length);
    this.log.push(`${me} ${method} ${p}`);
    const ok = (b) => ({ status: 200, body: b });
    if (method === 'POST' && p === '/keys/upload') {
      if (body.device_keys) {
        if (!this.devices.has(user)) this.devices.set(user, new Map());
        this.devices.get(user).set(dev, body.device_keys);
        this.#changedUser(user);
      }
      const list = this.otks.get(me) ?? [];
      for (const [name, obj] of Object.entries(body.one_time_keys ?? {})) {
        const old = list.find((e) => e.name === name);
        if (old && JSON.stringify(old.obj) !== JSON.stringify(obj)) return { status: 400, body: { errcode: 'M_INVALID_PARAM' } };
        if (!old) list.push({ name, obj, used: false });
      }
      this.otks.set(me, list);
      for (const [name, obj] of Object.entries(body.fallback_keys ?? {})) this.fallback.set(me, { name, obj, used: false });
      return ok({ one_time_key_counts: { signed_curve25519: this.unclaimed(me) } });
    }
    if (method === 'POST' && p === '/keys/query') {
      const out = {};
      for (const u of Object.keys(body.device_keys)) out[u] = Object.fromEntries(this.devices.get(u) ?? []);
      return ok({ device_keys: out, failures: {} });
    }
    if (method === 'POST' && p === '/keys/claim') {
      const out = {};
      for (const [u, devs] of Object.entries(body.one_time_keys)) {
        for (const d of Object.keys(devs)) {
          const k = `${u}|${d}`;
          let e = (this.otks.get(k) ?? []).find((x) => !x.used);
          if (!e) e = this.fallback.get(k);
          if (!e) continue;
          e.used = true;
          (out[u] ??= {})[d] = { [e.name]: e.obj };
        }
      }
      return ok({ one_time_keys: out, failures: {} });
    }
    if (method === 'PUT' && p.startsWith('/sendToDevice/')) {
      const [type, txn] = p.slice('/sendToDevice/'.length).split('/').map(decodeURIComponent);
      if (this.txns.has(`${me}|${txn}`)) return ok({});
      this.txns.add(`${me}|${txn}`);
      for (const [to, devs] of Object.entries(body.messages)) {
        for (const [d, content] of Object.entries(devs)) {
          const targets = d === '*' ? [...(this.devices.get(to)?.keys() ?? [])] : [d];
          for (const t of targets) {
            const k = `${to}|${t}`;
            if (!this.inbox.has(k)) this.inbox.set(k, []);
            this.inbox.get(k).push({ type, sender: user, content });
          }
        }
      }
      return ok({});
    }
    if (method === 'PUT' && p === '/room_keys/keys') {
      const v = url.searchParams.get('version');
      if (v !== this.backupVersion) return { status: 403, body: { errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: v } };
      for (const [room, { sessions }] of Object.entries(body.rooms)) {
        if (!this.backup.has(room)) this.backup.set(room, new Map());
        for (const [sid, e] of Object.entries(sessions)) this.backup.get(room).set(sid, e);
      }
      return ok({ count: 0, etag: '1' });
    }
    if (method === 'GET' && p.startsWith('/room_keys/keys/')) {
      const [room, sid] = p.slice('/room_keys/keys/'.length).split('/').map(decodeURIComponent);
      const e = this.backup.get(room)?.get(sid);
      return e ? ok(e) : { status: 404, body: { errcode: 'M_NOT_FOUND' } };
    }
    throw new Error(`relay: unexpected ${method} ${path}`);
  }

  /** The encryption part of a /sync response for a device (empties its inbox). */
  sync(user, dev) {
    const k = `${user}|${dev}`;
    const toDeviceEvents = this.inbox.get(k) ?? [];
    this.inbox.set(k, []);
    const changed = [...(this.changed.get(k) ?? [])];
    this.changed.delete(k);
    const fb = this.fallback.get(k);
    return {
      toDeviceEvents,
      changedDevices: { changed, left: [] },
      oneTimeKeyCounts: { signed_curve25519: this.unclaimed(k) },
      unusedFallbackKeyTypes: fb && !fb.used ? ['signed_curve25519'] : [],
      nextBatch: `s${this.log.length}`,
    };
  }
}

/** Drives one of our machines against the relay. */
export function ourPeer(relay, m) {
  const send = async (r) => {
    const { status, body } = relay.handle(m.userId, m.deviceId, r);
    return m.markRequestAsSent(r.id, r.type, body, { status });
  };
  const peer = {
    m,
    send,
    async flush() {
      const events = [];
      for (let i = 0; i < 20; i++) {
        const reqs = await m.outgoingRequests();
        if (reqs.length === 0) return events;
        for (const r of reqs) events.push(...(await send(r)).events);
      }
      throw new Error('requests never ran out');
    },
    lastBatch: null,
    async sync() {
      const changes = relay.sync(m.userId, m.deviceId);
      peer.lastBatch = changes.nextBatch;
      const res = await m.receiveSyncChanges(changes);
      res.events.push(...(await peer.flush()));
      return res;
    },
    async share(roomId, users, settings) {
      for (let i = 0; i < 10; i++) {
        const reqs = await m.shareRoomKey(roomId, users, settings);
        if (reqs.length === 0) return;
        for (const r of reqs) await send(r);
      }
      throw new Error('shareRoomKey never finished');
    },
  };
  return peer;
}

/** Drives matrix-sdk-crypto-wasm's OlmMachine against the relay. */
export async function rustPeer(relay, rs, userId, deviceId) {
  const m = await rs.OlmMachine.initialize(new rs.UserId(userId), new rs.DeviceId(deviceId));
  const routes = {
    [rs.RequestType.KeysUpload]: () => ['POST', '/keys/upload'],
    [rs.RequestType.KeysQuery]: () => ['POST', '/keys/query'],
    [rs.RequestType.KeysClaim]: () => ['POST', '/keys/claim'],
    [rs.RequestType.ToDevice]: (r) => ['PUT', `/sendToDevice/${encodeURIComponent(r.event_type)}/${encodeURIComponent(r.txn_id)}`],
  };
  const send = async (r) => {
    const route = routes[r.type];
    if (!route) return;
    const [method, p] = route(r);
    const { body } = relay.handle(userId, deviceId, { method, path: PREFIX + p, body: JSON.parse(r.body) });
    await m.markRequestAsSent(r.id, r.type, JSON.stringify(body));
  };
  const peer = {
    m,
    async flush() {
      for (let i = 0; i < 20; i++) {
        const reqs = await m.outgoingRequests();
        if (reqs.length === 0) return;
        for (const r of reqs) await send(r);
      }
    },
    async sync() {
      const s = relay.sync(userId, deviceId);
      await m.receiveSyncChanges(
        JSON.stringify(s.toDeviceEvents),
        new rs.DeviceLists(s.changedDevices.changed.map((u) => new rs.UserId(u)), []),
        new Map(Object.entries(s.oneTimeKeyCounts)),
        new Set(s.unusedFallbackKeyTypes),
      );
      await peer.flush();
    },
    async share(roomId, users, { onlyTrustedDevices = false } = {}) {
      // wasm-bindgen takes ownership of the ids passed: fresh ones each call.
      const ids = () => users.map((u) => new rs.UserId(u));
      await m.updateTrackedUsers(ids());
      await peer.flush();
      const claim = await m.getMissingSessions(ids());
      if (claim) await send(claim);
      const settings = new rs.EncryptionSettings();
      if (onlyTrustedDevices) settings.sharingStrategy = rs.CollectStrategy.deviceBasedStrategy(true, false);
      const reqs = await m.shareRoomKey(new rs.RoomId(roomId), ids(), settings);
      for (const r of reqs) await send(r);
    },
    async encrypt(roomId, type, content) {
      return JSON.parse(await m.encryptRoomEvent(new rs.RoomId(roomId), type, JSON.stringify(content)));
    },
    async decrypt(roomId, event) {
      const d = await m.decryptRoomEvent(JSON.stringify(event), new rs.RoomId(roomId), new rs.DecryptionSettings(rs.TrustRequirement.Untrusted));
      return JSON.parse(d.event);
    },
  };
  return peer;
}
