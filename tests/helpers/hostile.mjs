// Values a hostile or careless caller can construct, for the garbage sweep
// (tests/sweep.test.mjs). Each is [label, make]: make() builds a fresh one,
// because some (a revoked Proxy, a detached buffer) cannot be reused safely
// across cases that might keep them.

const thrower = () => {
  throw new Error('hostile getter');
};

function deep(n, wrap) {
  let v = {};
  for (let i = 0; i < n; i++) v = wrap(v);
  return v;
}

function detachedBytes() {
  const u = new Uint8Array(32).fill(1);
  structuredClone(u.buffer, { transfer: [u.buffer] });
  return u;
}

class LyingLength extends Uint8Array {
  get length() {
    return 2 ** 31;
  }
  get byteLength() {
    return 2 ** 32 - 16;
  }
}

function throwingTraps(target) {
  const traps = {};
  for (const t of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'set', 'defineProperty', 'deleteProperty', 'apply', 'construct', 'isExtensible', 'preventExtensions', 'setPrototypeOf']) {
    traps[t] = thrower;
  }
  return new Proxy(target, traps);
}

// A big buffer is made once (its pages are not touched, so it costs little).
let oversized;
const OVERSIZE = 256 * 1024 * 1024 + 1;

export const hostileValues = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['true', () => true],
  ['0', () => 0],
  ['-1', () => -1],
  ['0.7', () => 0.7],
  ['-0.5', () => -0.5],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['2^53', () => 2 ** 53],
  ['2^32', () => 2 ** 32],
  ['empty string', () => ''],
  ['string', () => 'hostile'],
  ['lone surrogate', () => '\ud800x'],
  ['BigInt', () => 10n],
  ['Symbol', () => Symbol('hostile')],
  ['function', () => function hostile() { return 1; }],
  ['throwing function', () => thrower],
  ['empty object', () => ({})],
  ['empty array', () => []],
  ['frozen object', () => Object.freeze({ type: 0, body: 'x', kind: 'account', a: 1 })],
  ['sealed object', () => Object.seal({ type: 1, body: 'AwogAA', roomId: '!r:x' })],
  ['frozen array', () => Object.freeze(['a', 'b'])],
  ['object with BigInt', () => ({ a: 1n })],
  ['object with Symbol', () => ({ a: Symbol('s') })],
  ['object with NaN', () => ({ type: NaN, body: 'x' })],
  ['message type 0.7', () => ({ type: 0.7, body: 'AwogAA' })],
  ['message type -0.5', () => ({ type: -0.5, body: 'AwogAA' })],
  ['throwing getter', () => ({ get type() { return thrower(); }, body: 'x' })],
  ['throwing toJSON', () => ({ toJSON: thrower })],
  ['Proxy with throwing traps', () => throwingTraps({})],
  ['Proxy of array with throwing traps', () => throwingTraps([])],
  ['Proxy of Uint8Array', () => new Proxy(new Uint8Array(32), {})],
  ['Proxy of Uint8Array, throwing traps', () => throwingTraps(new Uint8Array(32))],
  ['revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }],
  ['revoked Proxy of array', () => {
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    return proxy;
  }],
  ['cyclic object', () => {
    const o = { a: 1 };
    o.self = o;
    return o;
  }],
  ['cyclic array', () => {
    const a = [1];
    a.push(a);
    return a;
  }],
  ['10^5-deep object', () => deep(1e5, (v) => ({ v }))],
  ['10^5-deep array', () => deep(1e5, (v) => [v])],
  ['array-like with length 2^32', () => ({ length: 2 ** 32 })],
  ['sparse array of length 2^31', () => {
    const a = [];
    a.length = 2 ** 31;
    return a;
  }],
  ['__proto__ key', () => JSON.parse('{"__proto__":{"polluted":1},"type":0,"body":"x"}')],
  ['Date', () => new Date(0)],
  ['Map', () => new Map([['a', 1]])],
  ['empty Uint8Array', () => new Uint8Array(0)],
  ['Uint8Array(32)', () => new Uint8Array(32).fill(3)],
  ['Uint8Array(33) window onto a bigger buffer', () => new Uint8Array(new ArrayBuffer(100), 5, 33)],
  ['Buffer(32)', () => Buffer.alloc(32, 5)],
  ['Int8Array(32)', () => new Int8Array(32)],
  ['DataView', () => new DataView(new ArrayBuffer(32))],
  ['ArrayBuffer(32)', () => new ArrayBuffer(32)],
  ['detached Uint8Array', detachedBytes],
  ['Uint8Array subclass with lying length', () => new LyingLength(32)],
  ['Uint8Array with own lying length', () => Object.defineProperty(new Uint8Array(32), 'length', { get: () => 2 ** 32 - 16 })],
  ['oversized Uint8Array (256 MiB + 1)', () => (oversized ??= new Uint8Array(OVERSIZE))],
];
