// Compiled (not run) by tests/types.test.mjs: an ESM application importing
// the package by its name, so the "types" export condition of package.json
// and index.d.ts are checked together under --strict.
import { init, type MxCrypto, type MxCryptoError, type MxCryptoErrorCode } from 'mxcrypto';

const wasm: WebAssembly.Module = await WebAssembly.compile(new Uint8Array(8));
const mx: MxCrypto = await init({ wasm });

const key = await mx.backup.createKey();
const privateKey: Uint8Array = key.privateKey;
const text: string = await mx.recoveryKey.encode(privateKey);

function codeOf(e: unknown): MxCryptoErrorCode | undefined {
  return e instanceof Error && 'code' in e ? (e as MxCryptoError).code : undefined;
}

try {
  await mx.secretStorage.decrypt({ iv: '', ciphertext: '', mac: '' }, privateKey, 'm.cross_signing.master');
} catch (e) {
  const code = codeOf(e);
  if (code === 'BAD_MAC' || code === 'STORE_FAILURE') console.log(text);
  // @ts-expect-error: not an error code
  if (code === 'NO_SUCH_CODE') console.log('unreachable');
}
