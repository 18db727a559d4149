// A tiny Worker that uses the npm package as an application would: bundled by
// wrangler, run under workerd by tests/worker-package.test.mjs. It answers with
// the steps it got through (an Olm message, a backup round trip).
import { init } from 'mxcrypto';
import wasm from 'mxcrypto/mxcrypto.wasm';

export default {
  async fetch() {
    const steps = [];
    try {
      const mx = await init({ wasm });
      steps.push('init');
      const alice = await mx.olm.createAccount();
      const bob = await mx.olm.createAccount();
      await bob.generateOneTimeKeys(1);
      const otk = Object.values(await bob.unpublishedOneTimeKeys())[0];
      const toBob = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
      const msg = await toBob.encrypt('hello from a Worker');
      const { plaintext } = await bob.createInboundSession(alice.identityKeys.curve25519, msg);
      steps.push(`olm:${plaintext}`);
      const key = await mx.backup.createKey();
      const data = { algorithm: 'm.megolm.v1.aes-sha2', sender_key: alice.identityKeys.curve25519, sender_claimed_keys: { ed25519: alice.identityKeys.ed25519 }, forwarding_curve25519_key_chain: [], session_key: 'x' };
      const enc = await mx.backup.encrypt(key.publicKey, data);
      const dec = await mx.backup.decrypt(key.privateKey, enc);
      steps.push(`backup:${dec.sender_key === data.sender_key}`);
      return Response.json({ ok: true, steps });
    } catch (e) {
      return Response.json({ ok: false, steps, error: String(e?.stack ?? e), code: e?.code }, { status: 500 });
    }
  },
};
