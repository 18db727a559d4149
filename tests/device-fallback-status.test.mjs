// Device.fallbackKeyStatus: what the page's device panel shows (current and
// replaced fallback keys with their times, and when a replaced one may be
// forgotten), read from the device's own account in its store.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { init } from 'mxcrypto';

test('fallbackKeyStatus lists the current key and the replaced ones with forgetAt = replaced + retention', async () => {
  const mx = await init();
  const retention = 60_000;
  const device = await mx.openDevice({ userId: '@fb:example.org', deviceId: 'FBDEV', store: 'fb-status', backend: 'memory', storeKey: new Uint8Array(32).fill(7), fallbackRetentionMs: retention });
  try {
    assert.deepEqual(await device.fallbackKeyStatus(), []);
    const t0 = Date.now();
    const first = await device.keysForUpload({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] });
    assert.ok(first.fallback_keys, 'a fallback key is uploaded when the server has none');
    await device.markKeysUploaded({ one_time_key_counts: { signed_curve25519: 50 } });
    let status = await device.fallbackKeyStatus();
    assert.equal(status.length, 1);
    assert.equal(status[0].current, true);
    assert.equal(status[0].forgetAt, null);
    assert.equal(status[0].keptUntilNextRotation, false);
    assert.ok(status[0].created >= t0 - 1000 && status[0].published >= status[0].created);
    assert.equal(status[0].replaced, null);
    assert.equal(status[0].publicKey, Object.values(first.fallback_keys)[0].key);

    // The server says no unused fallback key is left: it was handed out, so it is replaced.
    const second = await device.keysForUpload({ oneTimeKeyCounts: { signed_curve25519: 50 }, unusedFallbackKeyTypes: [] });
    assert.ok(second.fallback_keys);
    status = await device.fallbackKeyStatus();
    assert.equal(status.length, 2);
    assert.deepEqual(status.map((k) => k.current), [true, false]);
    const old = status[1];
    assert.equal(old.publicKey, Object.values(first.fallback_keys)[0].key);
    assert.equal(typeof old.replaced, 'number');
    assert.equal(old.forgetAt, old.replaced + retention);
    assert.equal(old.keptUntilNextRotation, true);
    assert.equal(status[0].published, null, 'the new key is not published until markKeysUploaded');
  } finally {
    await device.close();
  }
});
