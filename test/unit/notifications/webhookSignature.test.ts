import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../../server/notifications/webhookSignature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"d-1","event":"sla.breach","ticket":{"id":"T000042","title":"Zacięcie papieru – ŁÓDŹ"}}';
const NOW = Date.parse('2026-03-02T10:00:00Z');

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256, as a receiver recomputes it independently', () => {
    const header = signatureHeader(SECRET, NOW, BODY);
    const t = Math.floor(NOW / 1000);
    const expected = createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies a fresh signature and rejects a changed body, another secret and a replay past the tolerance', () => {
    const header = signatureHeader(SECRET, NOW, BODY);
    expect(verifySignature(SECRET, header, BODY, NOW + 60_000)).toEqual({ ok: true, timestamp: Math.floor(NOW / 1000) });
    expect(verifySignature(SECRET, header, BODY.replace('T000042', 'T000043'), NOW)).toMatchObject({ ok: false, reason: 'signature does not match the body' });
    expect(verifySignature('whsec-another-secret-00', header, BODY, NOW)).toMatchObject({ ok: false });
    expect(verifySignature(SECRET, header, BODY, NOW + 301_000)).toMatchObject({ ok: false, reason: expect.stringContaining('replayed') as unknown });
    // Re-signing the same body at another time gives another signature: an old one cannot be reused with a new t.
    const old = /v1=([0-9a-f]+)/.exec(header)![1];
    expect(verifySignature(SECRET, `t=${Math.floor(NOW / 1000) + 600},v1=${old}`, BODY, NOW + 600_000)).toMatchObject({ ok: false });
  });

  it('accepts any of several v1 values (secret rotation) and explains malformed headers', () => {
    const good = signatureHeader(SECRET, NOW, BODY);
    const t = Math.floor(NOW / 1000);
    expect(verifySignature(SECRET, `t=${t},v1=${'0'.repeat(64)},${good.split(',')[1]}`, BODY, NOW).ok).toBe(true);
    expect(verifySignature(SECRET, undefined, BODY, NOW)).toEqual({ ok: false, reason: 'no signature header' });
    expect(verifySignature(SECRET, 'v1=abc', BODY, NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') as unknown });
    expect(verifySignature(SECRET, `t=${t}`, BODY, NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('no v1') as unknown });
    expect(verifySignature(SECRET, 'garbage', BODY, NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('malformed') as unknown });
  });
});
