// Native primitives lent to the Go side (see internal/accel and
// jsbridge/host.go), supplied as the wasm import module "mxcrypto_host".
// Go calls them synchronously in the middle of an operation, so only a host
// with synchronous constant-time crypto qualifies: Node's node:crypto
// (OpenSSL). Elsewhere every import declines and Go computes alone.
//
// Arguments are pointers into wasm memory, valid for the call. Private keys
// arrive as raw bytes; imported keys are held in a table and named by a
// handle. Ed25519 keys go to node:crypto as PKCS#8 DER (RFC 8410) in a buffer
// wiped right after the import; Go keeps them imported (one per signing key).
// X25519 keys are imported per operation (ephemeral, ratchet and one-time
// keys are fresh), where DER costs too much: OpenSSL 3 decodes PKCS#8 through
// its provider decoders, ~790 µs a key in Node 20 (more than Go's own X25519
// under wasm), against ~80 µs for a JWK. So X25519 keys go as JWK, whose
// base64url text of the key stays in the JS heap until it is collected: JS
// strings cannot be wiped. Go's heap never holds that text.

import { isNode } from './env.mjs';

const BASE_POINT = 'CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'; // u = 9
// PKCS#8 header of a 32-byte Ed25519 private key (RFC 8410 §7).
const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/** The imports of a host without native primitives: every one declines. */
export const decliningImports = {
  ready: () => 0,
  x25519_key: () => 0,
  x25519: () => 0,
  ed25519_key: () => 0,
  ed25519_sign: () => 0,
  aes256_cbc: () => 0,
  release: () => {},
};

/** node:crypto as a host, or null where there is none. */
export async function nativeHost() {
  if (!isNode) return null;
  let crypto;
  try {
    crypto = await import('node:crypto');
  } catch {
    return null;
  }
  const { createPrivateKey, createPublicKey, diffieHellman, sign, verify, createCipheriv, createDecipheriv } = crypto;
  let basePoint;
  try {
    basePoint = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: BASE_POINT }, format: 'jwk' });
  } catch {
    return null; // a node:crypto look-alike without X25519 JWK keys (e.g. some Worker runtimes)
  }
  const der = Buffer.alloc(48); // reused; wiped after every import
  const privateKey = (header, raw) => {
    try {
      der.set(header);
      der.set(raw, 16);
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  };
  const points = new Map(); // X25519 public key (base64url) → KeyObject; public data
  const publicX25519 = (point) => {
    const x = Buffer.from(point).toString('base64url');
    let key = points.get(x);
    if (!key) {
      key = x === BASE_POINT ? basePoint : createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      if (points.size >= 256) points.clear();
      points.set(x, key);
    }
    return key;
  };
  const verifyKeys = new Map(); // Ed25519 public key (base64) → KeyObject

  return {
    /**
     * For the loader, not Go: a Megolm signature check on the calling thread
     * (WebCrypto's would wait for a thread-pool round trip). Public data only.
     */
    ed25519Verify(publicKey, signed, signature) {
      let key = verifyKeys.get(publicKey);
      if (!key) {
        key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') }, format: 'jwk' });
        if (verifyKeys.size >= 1024) verifyKeys.clear();
        verifyKeys.set(publicKey, key);
      }
      return verify(null, signed, key, signature);
    },

    /** The import module for one instance; attach its memory before it runs. */
    imports() {
      let memory = null;
      const keys = new Map();
      let next = 1;
      const bytes = (p, n) => new Uint8Array(memory.buffer, p, n);
      const hold = (key) => {
        const h = next++;
        if (next > 0x7fffffff) next = 1;
        keys.set(h, key);
        return h;
      };
      // Any failure (a low-order point, which OpenSSL refuses; a bad key)
      // declines with 0, and Go computes instead.
      const guard = (fn) => (...args) => {
        try {
          return fn(...args);
        } catch {
          return 0;
        }
      };
      const module = {
        ready: () => (memory ? 1 : 0),
        // x is not read for a private key: node:crypto derives it from d.
        x25519_key: guard((d, dn) => (dn === 32
          ? hold(createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', x: '', d: Buffer.from(memory.buffer, d, 32).toString('base64url') }, format: 'jwk' }))
          : 0)),
        x25519: guard((k, point, out) => {
          const key = keys.get(k);
          if (!key) return 0;
          const shared = diffieHellman({ privateKey: key, publicKey: publicX25519(bytes(point, 32)) });
          bytes(out, 32).set(shared);
          shared.fill(0);
          return 32;
        }),
        // The public key (x) is not needed: node:crypto derives it from the seed.
        ed25519_key: guard((d, dn) => (dn === 32 ? hold(privateKey(PKCS8_ED25519, bytes(d, 32))) : 0)),
        ed25519_sign: guard((k, msg, n, out) => {
          const key = keys.get(k);
          if (!key) return 0;
          bytes(out, 64).set(sign(null, bytes(msg, n), key));
          return 64;
        }),
        aes256_cbc: guard((encrypt, key, iv, data, n, out) => {
          const c = (encrypt ? createCipheriv : createDecipheriv)('aes-256-cbc', bytes(key, 32), bytes(iv, 16));
          c.setAutoPadding(false);
          const result = c.update(bytes(data, n));
          if (result.length !== n) return 0;
          bytes(out, n).set(result);
          result.fill(0);
          return n;
        }),
        release: (k) => {
          keys.delete(k);
        },
      };
      return { module, attach: (m) => { memory = m; } };
    },
  };
}
