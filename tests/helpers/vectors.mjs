// The known-answer vectors of testdata/vectors/*.json, the one place each is
// written (docs/vectors.md lists them and their sources); the Go tests read
// the same files through internal/vectors.
import { readFileSync } from 'node:fs';

const DIR = new URL('../../testdata/vectors/', import.meta.url);

/** The parsed JSON of testdata/vectors/<file>. */
export function loadVectors(file) {
  return JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
}

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));

/** A key pair of x25519.json by name: { private, public } as bytes, publicB64. */
export function x25519Key(name) {
  const k = loadVectors('x25519.json').keys[name];
  if (!k) throw new Error(`x25519.json has no key ${name}`);
  return { private: fromHex(k.private), public: fromHex(k.public), publicB64: k.public_b64 };
}

/** A session_data vector of backup.json by name, with its backup key resolved to bytes. */
export function backupVector(name) {
  const v = loadVectors('backup.json').session_data[name];
  if (!v) throw new Error(`backup.json has no session_data ${name}`);
  const key = v.key ? x25519Key(v.key).private : Uint8Array.from(Buffer.from(v.key_b64, 'base64'));
  return { ...v, privateKey: key };
}
