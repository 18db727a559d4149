// A driver for two-party Olm conversations between any two implementations,
// with messages delivered out of order, late, or never.
//
// A "peer" is a small adapter around one side's established session:
//   { name, encrypt(text) -> Promise<{type, body}>, decrypt({type, body}) -> Promise<string> }
// and optionally expectRefusal({type, body}) -> null | { error, why }: a
// known limitation of that peer, under which the message must be refused
// with an error matching `error` (and counts as lost).
// The adapters for mxcrypto and libolm are below; the vodozemac one lives in
// vodozemac.mjs.
import assert from 'node:assert/strict';

import { randomInt, randomString } from './random.mjs';
import { escapeText } from './util.mjs';

/** Adapter for an mxcrypto Session (hasReceived: optional, checked when present). */
export function mxPeer(session, name = 'mxcrypto') {
  return {
    name,
    session,
    encrypt: (text) => session.encrypt(text),
    decrypt: (msg) => session.decrypt(msg),
    hasReceived: () => session.hasReceivedMessage,
  };
}

/** Adapter for a libolm Session. */
export function libolmPeer(session, name = 'libolm') {
  return {
    name,
    session,
    encrypt: async (text) => {
      const m = session.encrypt(text);
      return { type: m.type, body: m.body };
    },
    decrypt: async (msg) => session.decrypt(msg.type, msg.body),
    hasReceived: () => session.has_received_message(),
  };
}

/**
 * A plaintext for message number n: unique (it starts with the number), of
 * random length, with non-ASCII and astral characters. Sometimes long, so
 * that the AES-CBC input spans many blocks. No U+0000 (libolm's JS binding
 * stops strings at NUL).
 */
export function messageText(n, tag = '') {
  const long = randomInt(8) === 0;
  return `#${n}${tag} ${randomString(long ? 1500 : 60)}`;
}

function shuffle(list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/**
 * An ongoing conversation. Index 0 is the initiator (who made the outbound
 * session), index 1 the responder. The initiator's first pre-key message must
 * already have been decrypted by the responder (that is how its session was
 * made), so `received` starts as [false, true] unless given.
 *
 * Each burst, one side sends 1..maxBurst messages; then the other side gets
 * its pending messages in a random order, where each message not yet held
 * back may be dropped for good (at most maxDrops per direction) or held back
 * until that side's next delivery. So every delivered message is at most one
 * round late, which keeps every implementation's limits (5 receiver chains,
 * 40 skipped message keys) out of reach.
 */
export class Conversation {
  constructor(initiator, responder, { received = [false, true], dropRate = 0.07, holdRate = 0.2, maxBurst = 4, maxDrops = 10, forceDropAfter = 20, label = '' } = {}) {
    this.peers = [initiator, responder];
    this.received = [...received];
    this.pending = [[], []]; // messages in flight to peer i
    this.held = [[], []]; // messages held back from peer i's last delivery
    this.drops = [0, 0];
    this.opts = { dropRate, holdRate, maxBurst, maxDrops, forceDropAfter };
    this.label = label;
    this.next = 1; // message numbers; 0 was the initial pre-key message
    this.sender = 1; // the responder speaks next
    this.stats = { sent: 0, delivered: 0, dropped: 0, late: 0, outOfOrder: 0, refused: 0 };
    this.maxSeen = [-1, -1];
    this.refusals = []; // { n, why } for each message refused as expected
  }

  /** Replace one side's adapter (e.g. by one restored from a pickle). */
  replace(index, peer) {
    this.peers[index] = peer;
    this.checkReceivedFlag(index);
  }

  async send(from, text = messageText(this.next, `:${from}`)) {
    const n = this.next++;
    const msg = await this.peers[from].encrypt(text);
    const expectedType = this.received[from] ? 1 : 0;
    assert.equal(
      msg.type,
      expectedType,
      `${this.label} message #${n} from ${this.peers[from].name}: type ${msg.type}, expected ${expectedType} (${this.received[from] ? 'has' : 'has not'} received a message yet)`,
    );
    assert.equal(typeof msg.body, 'string');
    this.checkReceivedFlag(from);
    this.pending[1 - from].push({ n, text, msg, from });
    this.stats.sent++;
    return msg;
  }

  async deliverTo(to, { all = false } = {}) {
    const { dropRate, holdRate, maxDrops, forceDropAfter } = this.opts;
    const late = this.held[to];
    const fresh = this.pending[to];
    this.held[to] = [];
    this.pending[to] = [];
    const batch = shuffle([...late.map((item) => ({ ...item, wasHeld: true })), ...fresh]);
    for (const item of batch) {
      if (!all && !item.wasHeld) {
        // Drop at random, and for sure once per direction after message
        // #forceDropAfter, so every long run has dropped messages.
        const forced = this.drops[to] === 0 && item.n >= forceDropAfter;
        if (this.drops[to] < maxDrops && (forced || Math.random() < dropRate)) {
          this.drops[to]++;
          this.stats.dropped++;
          continue;
        }
        if (Math.random() < holdRate) {
          this.held[to].push(item);
          continue;
        }
      }
      await this.receive(to, item);
    }
  }

  async receive(to, item) {
    const who = `${this.label} #${item.n} (type ${item.msg.type}) ${this.peers[item.from].name} → ${this.peers[to].name}`;
    const refusal = this.peers[to].expectRefusal?.(item.msg) ?? null;
    if (refusal) {
      await assert.rejects(this.peers[to].decrypt(item.msg), refusal.error, `${who}: must be refused: ${refusal.why}`);
      this.stats.refused++;
      this.refusals.push({ n: item.n, why: refusal.why });
      return;
    }
    let plaintext;
    try {
      plaintext = await this.peers[to].decrypt(item.msg);
    } catch (e) {
      throw new Error(`${who}: decrypt failed: ${e.code ?? ''} ${e.message}\n  delivered so far: ${this.stats.delivered}, dropped ${this.stats.dropped}, out of order ${this.stats.outOfOrder}`, { cause: e });
    }
    assert.ok(plaintext === item.text, `${who}: got ${escapeText(plaintext)}, expected ${escapeText(item.text)}`);
    if (item.wasHeld) this.stats.late++;
    if (item.n < this.maxSeen[to]) this.stats.outOfOrder++;
    this.maxSeen[to] = Math.max(this.maxSeen[to], item.n);
    this.received[to] = true;
    this.stats.delivered++;
    this.checkReceivedFlag(to);
  }

  checkReceivedFlag(i) {
    const peer = this.peers[i];
    if (peer.hasReceived) assert.equal(peer.hasReceived(), this.received[i], `${this.label} ${peer.name}: has-received-message flag`);
  }

  /** Send `count` more messages in alternating bursts, delivering after each burst. */
  async run(count) {
    const end = this.next + count;
    while (this.next < end) {
      const from = this.sender;
      const burst = 1 + randomInt(this.opts.maxBurst);
      for (let k = 0; k < burst && this.next < end; k++) await this.send(from);
      await this.deliverTo(1 - from);
      this.sender = 1 - from;
    }
  }

  /** Deliver everything still in flight or held back (in random order). */
  async flush() {
    await this.deliverTo(0, { all: true });
    await this.deliverTo(1, { all: true });
  }

  inFlight() {
    return this.pending[0].length + this.pending[1].length + this.held[0].length + this.held[1].length;
  }
}
