// Megolm group sessions for the JS API.
//
// A session object holds its state privately (an unencrypted Uint8Array made
// by the Go side) and runs its calls one at a time, so two overlapping calls
// can never both start from the same state: for an outbound session that
// would reuse a message key. Nothing lives in Go between calls, so there is
// nothing to free, and a restarted wasm instance loses no session.
import { decodeBase64, mxError, optionsArg, serialize, pickleKeyBytes } from './common.mjs';
import { guardClass, guardFunction } from './guard.mjs';

export function megolmApi(rt) {
  const call = (name, args) => rt.call(`_megolm.${name}`, args);

  class OutboundGroupSession {
    #state;
    #queue;
    /** @internal */
    constructor(token, r) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use megolm.createOutboundSession() or megolm.unpickleOutboundSession()');
      outbounds.add(this);
      this.#queue = serialize();
      this.#update(r);
    }

    #update(r) {
      this.#state = r.state;
      /** The session id: the session's Ed25519 public key, unpadded base64. */
      this.sessionId = r.sessionId;
      /** Index the next message will have. */
      this.messageIndex = r.messageIndex;
      /** Creation time in ms since the epoch, if known (not for libolm imports). */
      this.createdAt = r.createdAt;
    }

    #run(fn) {
      return this.#queue(() => fn(this.#state));
    }

    /** Encrypt an event (its JSON text); returns the base64 Megolm message. */
    encrypt(plaintext) {
      return this.#run(async (state) => {
        const r = await rt.direct('megolm.outboundEncrypt', [state, plaintext]);
        this.#update(r);
        return r.ciphertext;
      });
    }

    /** The session key in the sharing format (v2, signed) at the current index. */
    sessionKey() {
      return this.#run((state) => call('outboundSessionKey', [state]));
    }

    /** The content of the m.room_key event that shares this session. */
    roomKeyContent(roomId, options) {
      return this.#run((state) => call('outboundRoomKey', [state, roomId, optionsArg(options, 'OutboundGroupSession.roomKeyContent')]));
    }

    /** Whether the session must be replaced, per the room's m.room.encryption content. */
    needsRotation(encryptionContent = null, now = Date.now()) {
      return this.#run((state) => call('outboundNeedsRotation', [state, encryptionContent, now]));
    }

    /** The session sealed under a 32-byte pickle key (mxcrypto's own format). */
    pickle(pickleKey) {
      return this.#run((state) => call('outboundPickle', [state, pickleKey]));
    }

    /** The session as a libolm OutboundGroupSession pickle. */
    exportLibolmPickle(pickleKey) {
      return this.#run((state) => call('outboundExportLibolm', [state, pickleKeyBytes(pickleKey)]));
    }
  }

  class InboundGroupSession {
    #state;
    #queue;
    /** @internal */
    constructor(token, r) {
      if (token !== TOKEN) throw mxError('BAD_INPUT', 'use megolm.createInboundSession(), importInboundSession() or unpickleInboundSession()');
      inbounds.add(this);
      this.#queue = serialize();
      this.#update(r);
    }

    #update(r) {
      this.#state = r.state;
      this.sessionId = r.sessionId;
      /** The lowest message index this session can decrypt. */
      this.firstKnownIndex = r.firstKnownIndex;
      /** True once a message was decrypted with a session key whose signature was checked. */
      this.isVerified = r.isVerified;
    }

    #run(fn) {
      return this.#queue(() => fn(this.#state));
    }

    /** Decrypt a Megolm message: { plaintext, messageIndex }. */
    decrypt(message) {
      return this.#run(async (state) => {
        const r = (await verifyInParallel(rt, this.sessionId, message, () => rt.direct('megolm.inboundDecryptSignatureChecked', [state, message])))
          ?? (await rt.direct('megolm.inboundDecrypt', [state, message]));
        this.#update(r);
        return { plaintext: r.plaintext, messageIndex: r.messageIndex };
      });
    }

    /** The session in the export format (v1) at `index` (default: first known index). */
    export(index) {
      return this.#run((state) => call('inboundExport', index === undefined ? [state] : [state, index]));
    }

    pickle(pickleKey) {
      return this.#run((state) => call('inboundPickle', [state, pickleKey]));
    }

    /** The session as a libolm InboundGroupSession pickle. */
    exportLibolmPickle(pickleKey) {
      return this.#run((state) => call('inboundExportLibolm', [state, pickleKeyBytes(pickleKey)]));
    }

    /** @internal */
    _state() {
      return this.#run((state) => state);
    }
  }

  const TOKEN = Symbol('megolm');
  const outbounds = guardClass(OutboundGroupSession, 'OutboundGroupSession');
  const inbounds = guardClass(InboundGroupSession, 'InboundGroupSession');
  const outbound = (r) => new OutboundGroupSession(TOKEN, r);
  const inbound = (r) => new InboundGroupSession(TOKEN, r);
  const withSession = (r) => ({ ...r, session: inbound(r.session) });

  return {
    OutboundGroupSession,
    InboundGroupSession,
    createOutboundSession: async () => outbound(await call('outboundCreate', [])),
    unpickleOutboundSession: async (pickle, pickleKey) => outbound(await call('outboundUnpickle', [pickle, pickleKey])),
    importLibolmOutboundSession: async (pickle, pickleKey) => outbound(await call('outboundImportLibolm', [pickle, pickleKeyBytes(pickleKey)])),
    createInboundSession: async (sessionKey) => inbound(await call('inboundCreate', [sessionKey])),
    importInboundSession: async (exportedKey) => inbound(await call('inboundImport', [exportedKey])),
    unpickleInboundSession: async (pickle, pickleKey) => inbound(await call('inboundUnpickle', [pickle, pickleKey])),
    importLibolmInboundSession: async (pickle, pickleKey) => inbound(await call('inboundImportLibolm', [pickle, pickleKeyBytes(pickleKey)])),
    async keepBetter(existing, incoming) {
      if (!(existing instanceof InboundGroupSession) || !(incoming instanceof InboundGroupSession)) {
        throw mxError('BAD_INPUT', 'megolm.keepBetter: both arguments must be InboundGroupSessions');
      }
      const r = await call('keepBetter', [await existing._state(), await incoming._state()]);
      return { session: inbound(r), kept: r.kept };
    },
    async parseRoomKey(content, sender) {
      const { senderKey, senderClaimedEd25519Key } = optionsArg(sender, 'megolm.parseRoomKey');
      return withSession(await call('parseRoomKey', [content, senderKey, senderClaimedEd25519Key]));
    },
    async parseForwardedRoomKey(content) {
      return withSession(await call('parseForwardedRoomKey', [content]));
    },
    ReplayGuard: replayGuardClass(call),
  };
}

let ed25519Support;
function hasEd25519(subtle) {
  ed25519Support ??= subtle
    .generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
    .then(() => true, () => false);
  return ed25519Support;
}

const verifyKeys = new Map(); // session id → CryptoKey (public keys only)

/**
 * Runs decrypt (Go, signature not checked there) while WebCrypto checks the
 * message's Ed25519 signature (in Node, node:crypto checks it first); the
 * result counts only if both succeed. Resolves to null when the host cannot
 * do this, or when the signature does not verify: the caller then lets Go do
 * it all, so a failure gets the code of the Go-only order (parse, then
 * signature, index, MAC, padding: a damaged version byte or length is
 * BAD_MESSAGE on every path, as in libolm and vodozemac).
 */
async function verifyInParallel(rt, sessionId, message, decrypt) {
  const subtle = rt.subtle;
  const raw = typeof message === 'string' ? decodeBase64(message) : null;
  if (!raw || raw.length < 64 + 8 + 1) return null;
  if (rt.current?.native) {
    // Node: node:crypto checks it synchronously, then Go decrypts.
    let ok;
    try {
      ok = rt.host.ed25519Verify(sessionId, raw.subarray(0, raw.length - 64), raw.subarray(raw.length - 64));
    } catch {
      return null;
    }
    if (!ok) return null;
    return decrypt();
  }
  if (!subtle || !(await hasEd25519(subtle))) return null;
  let key = verifyKeys.get(sessionId);
  if (!key) {
    const pub = decodeBase64(sessionId);
    try {
      key = await subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    } catch {
      return null;
    }
    if (verifyKeys.size > 1024) verifyKeys.clear();
    verifyKeys.set(sessionId, key);
  }
  const signed = raw.subarray(0, raw.length - 64);
  const signature = raw.subarray(raw.length - 64);
  const [ok, result] = await Promise.all([
    subtle.verify({ name: 'Ed25519' }, key, signature, signed).catch(() => false),
    decrypt().then((r) => r, (e) => e),
  ]);
  if (!ok) return null;
  if (result instanceof Error) throw result;
  return result;
}

/**
 * Replay detection for room events: record (sessionId, messageIndex) →
 * eventId; the same index again under a different event id is a replay.
 * Methods return Promises like the rest of the API. Go reads an import
 * (megolm.ImportReplayGuard: the one reader of this format); export writes
 * the same canonical JSON as Go's Export.
 */
function replayGuardClass(call) {
  let guards; // guardClass's register: methods run only on real ReplayGuards
  class ReplayGuard {
    #seen = new Map();

    constructor() {
      guards.add(this);
    }

    /** Resolves to a guard holding what `export()` wrote (JSON text). */
    static async import(json) {
      if (typeof json !== 'string') throw mxError('BAD_INPUT', 'ReplayGuard.import: expected the JSON text export() wrote');
      const data = JSON.parse(await call('replayGuardImport', [json])); // canonical, checked by Go
      const g = new ReplayGuard();
      for (const [sid, byIndex] of Object.entries(data.sessions ?? {})) {
        g.#seen.set(sid, new Map(Object.entries(byIndex).map(([i, ev]) => [Number(i), ev])));
      }
      return g;
    }

    /** Rejects with REPLAYED_MESSAGE if this index of this session came with another event id. */
    async check(sessionId, messageIndex, eventId) {
      if (typeof sessionId !== 'string' || sessionId === '' || typeof eventId !== 'string' || eventId === '' || !Number.isInteger(messageIndex) || messageIndex < 0 || messageIndex > 0xffffffff) {
        throw mxError('BAD_INPUT', 'ReplayGuard.check(sessionId, messageIndex, eventId): non-empty strings and an index 0..2^32-1');
      }
      // Decided before the first await, so concurrent checks see each other.
      let byIndex = this.#seen.get(sessionId);
      if (!byIndex) this.#seen.set(sessionId, (byIndex = new Map()));
      const prev = byIndex.get(messageIndex);
      if (prev !== undefined && prev !== eventId) {
        throw mxError('REPLAYED_MESSAGE', `message index ${messageIndex} of session ${sessionId} was already used by event ${prev}; ${eventId} is a replay`);
      }
      byIndex.set(messageIndex, eventId);
    }

    async forget(sessionId) {
      if (typeof sessionId !== 'string') throw mxError('BAD_INPUT', 'ReplayGuard.forget(sessionId): sessionId must be a string');
      this.#seen.delete(sessionId);
    }

    get size() {
      let n = 0;
      for (const m of this.#seen.values()) n += m.size;
      return n;
    }

    async export() {
      const sessions = {};
      for (const sid of [...this.#seen.keys()].sort()) {
        const m = this.#seen.get(sid);
        if (!m.size) continue;
        sessions[sid] = {};
        for (const i of [...m.keys()].map(String).sort()) sessions[sid][i] = m.get(Number(i));
      }
      return JSON.stringify({ sessions, version: 1 });
    }
  }
  guards = guardClass(ReplayGuard, 'ReplayGuard');
  ReplayGuard.import = guardFunction(ReplayGuard.import, 'megolm.ReplayGuard.import');
  return ReplayGuard;
}
