// Native primitives lent to the Go side (see crypto/accel). Go calls these
// synchronously in the middle of an operation, so only a host with
// synchronous constant-time crypto qualifies: Node's node:crypto (OpenSSL).
// Browsers and Workers have only async WebCrypto; there Go computes alone.
//
// Bytes travel through `buf`: Go packs the inputs at its start and reads
// the output back from there. AES keys are wiped from it after use. Private
// keys arrive as base64url text that Go encoded without tables.

const BASE_POINT = 'CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'; // u = 9
const ZERO_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'; // a placeholder JWK "x": Node derives the public key from "d"

export async function nativeHost() {
  if (typeof process === 'undefined' || !process.versions?.node) return null;
  let crypto;
  try {
    crypto = await import('node:crypto');
  } catch {
    return null;
  }
  const { createPrivateKey, createPublicKey, diffieHellman, sign, verify, createCipheriv, createDecipheriv } = crypto;
  const jwk = (crv, d, x) => createPrivateKey({ key: { kty: 'OKP', crv, d, x }, format: 'jwk' });
  let basePoint;
  try {
    basePoint = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: BASE_POINT }, format: 'jwk' });
  } catch {
    return null; // a node:crypto look-alike without X25519 JWK keys (e.g. some Worker runtimes)
  }

  const verifyKeys = new Map(); // public key (base64) → KeyObject
  const points = new Map(); // X25519 public key (base64url) → KeyObject
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

  const host = {
    buf: new Uint8Array(0),
    grow(n) {
      host.buf = new Uint8Array(Math.max(n, host.buf.length * 2));
      return host.buf;
    },
    x25519Key(d) {
      return jwk('X25519', d, ZERO_X);
    },
    // private key × point (buf[0..32]) → buf[0..32]. Throws for a low-order
    // point (OpenSSL refuses an all-zero result); Go then computes it.
    x25519(key) {
      const out = diffieHellman({ privateKey: key, publicKey: publicX25519(host.buf.subarray(0, 32)) });
      host.buf.set(out, 0);
      return out.length;
    },
    // For the loader, not Go: a Megolm signature check on the calling thread
    // (WebCrypto's would wait for a thread-pool round trip). Public data only.
    ed25519Verify(publicKey, signed, signature) {
      let key = verifyKeys.get(publicKey);
      if (!key) {
        key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') }, format: 'jwk' });
        if (verifyKeys.size >= 1024) verifyKeys.clear();
        verifyKeys.set(publicKey, key);
      }
      return verify(null, signed, key, signature);
    },
    ed25519Key(d, x) {
      return jwk('Ed25519', d, x);
    },
    // signs buf[0..n] → buf[0..64]
    ed25519Sign(key, n) {
      const sig = sign(null, host.buf.subarray(0, n), key);
      host.buf.set(sig, 0);
      return sig.length;
    },
    // key buf[0..32], iv buf[32..48], data buf[48..48+n] → buf[0..n]
    aes256Cbc(encrypt, n) {
      const b = host.buf;
      const c = (encrypt ? createCipheriv : createDecipheriv)('aes-256-cbc', b.subarray(0, 32), b.subarray(32, 48));
      c.setAutoPadding(false);
      const out = c.update(b.subarray(48, 48 + n));
      b.fill(0, 0, 48 + n);
      b.set(out, 0);
      out.fill(0);
      return out.length;
    },
  };
  return host;
}
