// `node scripts/walkthrough.mjs`: a walk through the crypto primitives the module offers, printing each step
// (what `npm start` printed before it ran the whole system, scripts/demo.mjs).
import { init } from 'mxcrypto';

const hex = (b) => Buffer.from(b).toString('hex').slice(0, 16) + '…';
const t0 = performance.now();
const mx = await init();
console.log(`mxcrypto ready in ${(performance.now() - t0).toFixed(0)} ms\n`);

console.log('1. Secret storage key from a passphrase (PBKDF2-SHA-512, 500,000 iterations)');
const ssss = await mx.secretStorage.createKey({ passphrase: 'correct horse battery staple', name: 'Demo key' });
console.log(`   key id       ${ssss.keyId}`);
console.log(`   key info     ${JSON.stringify(ssss.keyInfo)}`);
console.log(`   recovery key ${ssss.recoveryKey}`);
const again = await mx.passphrase.deriveKey('correct horse battery staple', ssss.keyInfo.passphrase.salt, ssss.keyInfo.passphrase.iterations);
console.log(`   re-derived from the passphrase, key check: ${await mx.secretStorage.checkKey(again, ssss.keyInfo)}`);
console.log(`   recovery key decodes to the same key: ${Buffer.from(await mx.recoveryKey.decode(ssss.recoveryKey)).equals(Buffer.from(ssss.key))}\n`);

console.log('2. A secret encrypted with it (m.secret_storage.v1.aes-hmac-sha2)');
const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
const encrypted = await mx.secretStorage.encrypt(secret, ssss.key, 'm.cross_signing.master');
console.log(`   encrypted    ${JSON.stringify(encrypted)}`);
const decrypted = await mx.secretStorage.decrypt(encrypted, ssss.key, 'm.cross_signing.master');
console.log(`   decrypted    ${decrypted === secret ? 'matches the secret' : 'MISMATCH'}`);
try {
  await mx.secretStorage.decrypt(encrypted, ssss.key, 'm.cross_signing.self_signing');
} catch (e) {
  console.log(`   under another secret name: ${e.code} (${e.message})\n`);
}

console.log('3. A key backup (m.megolm_backup.v1.curve25519-aes-sha2)');
const backupKey = await mx.backup.createKey();
console.log(`   public key   ${backupKey.publicKey}`);
console.log(`   private key  ${hex(backupKey.privateKey)} (stored in secret storage as m.megolm_backup.v1)`);
const stored = await mx.secretStorage.encrypt(Buffer.from(backupKey.privateKey).toString('base64'), ssss.key, 'm.megolm_backup.v1');
console.log(`   in secret storage: ${JSON.stringify(stored).slice(0, 60)}…\n`);

console.log('4. A room key encrypted for the backup and restored');
const sessionData = {
  algorithm: 'm.megolm.v1.aes-sha2',
  sender_key: 'JUUfV6vErSATm3rIOU9DML+IX1SlYxnAAS824xhbhC4',
  sender_claimed_keys: { ed25519: 'R2UJWSfgGr64iPENthl/98WGqBtnNlYuP12d6TEuGo4' },
  forwarding_curve25519_key_chain: [],
  session_key: 'AQAAAABc1O9JP2/HXS22iLN1uScFv2UyL33/L3L0sysPKcovQFI0lwKTuutrVeww2SNOU9b2J62kV/QXEw7+N2I9klrvqqr9kdo1ywqFtZOnp8DlgR2+OhOnUYmj5YmJhmApPle9xnVVwZv57Q0REsmSAovHBLH4Kf3GEHPJ9WXEEnLINT9Gzit9qjIZ1fKKacLtvsZ+hbnTPvP5Df3ENalB+03E',
};
const sessionDataEnc = await mx.backup.encrypt(backupKey.publicKey, sessionData);
console.log(`   session_data ${JSON.stringify(sessionDataEnc).slice(0, 90)}…`);
const restoredKeyB64 = await mx.secretStorage.decrypt(stored, ssss.key, 'm.megolm_backup.v1');
const restoredKey = new Uint8Array(Buffer.from(restoredKeyB64, 'base64'));
console.log(`   backup key from secret storage matches auth_data: ${(await mx.backup.publicKey(restoredKey)) === backupKey.publicKey}`);
const restored = await mx.backup.decrypt(restoredKey, sessionDataEnc);
console.log(`   restored     session_key ${restored.session_key.slice(0, 24)}… ${JSON.stringify(restored) === JSON.stringify(sessionData) ? '(identical)' : '(DIFFERENT)'}`);

const rooms = { '!room:example.org': { sessions: {} } };
for (let i = 0; i < 1000; i++) {
  rooms['!room:example.org'].sessions[`session${i}`] = { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: await mx.backup.encrypt(backupKey.publicKey, { ...sessionData, n: i }) };
}
const t1 = performance.now();
const all = await mx.backup.decryptMany(restoredKey, { rooms });
console.log(`   decryptMany: ${all.sessions.length} sessions, ${all.failures.length} failures in ${(performance.now() - t1).toFixed(0)} ms`);

console.log('\n5. Olm and Megolm: Alice shares a room key with Bob over Olm, then sends a room message');
const alice = await mx.olm.createAccount();
const bob = await mx.olm.createAccount();
await bob.generateOneTimeKeys(1);
await bob.generateFallbackKey();
const upload = await bob.keysForUpload('@bob:example.org', 'BOBDEVICE');
console.log(`   Bob's /keys/upload: ${Object.keys(upload.one_time_keys).length} one-time key, ${Object.keys(upload.fallback_keys).length} fallback key, device keys signed: ${await mx.signing.verify(upload.device_keys, '@bob:example.org', 'ed25519:BOBDEVICE', bob.identityKeys.ed25519)}`);
await bob.markKeysAsPublished();
const otk = Object.values(upload.one_time_keys)[0].key;
const toBob = await alice.createOutboundSession(bob.identityKeys.curve25519, otk);
const room = await mx.megolm.createOutboundSession();
const olmMsg = await toBob.encrypt(JSON.stringify({ type: 'm.room_key', content: await room.roomKeyContent('!room:example.org') }));
console.log(`   Olm pre-key message (type ${olmMsg.type}), ${olmMsg.body.length} base64 characters`);
const { plaintext: keyEvent } = await bob.createInboundSession(alice.identityKeys.curve25519, olmMsg);
const { session: bobsCopy } = await mx.megolm.parseRoomKey(JSON.parse(keyEvent).content, { senderKey: alice.identityKeys.curve25519, senderClaimedEd25519Key: alice.identityKeys.ed25519 });
const roomMsg = await room.encrypt(JSON.stringify({ type: 'm.room.message', room_id: '!room:example.org', content: { msgtype: 'm.text', body: 'hello from Alice' } }));
const { plaintext: roomEvent, messageIndex } = await bobsCopy.decrypt(roomMsg);
console.log(`   Bob decrypts message ${messageIndex}: ${JSON.parse(roomEvent).content.body}`);
