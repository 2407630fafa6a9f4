import { describe, expect, it } from 'vitest';
import { checkSignatureV3, signatureV3, signedUri } from '../../../src/connectors/hubspot/signature.ts';
import { hubspotV3 } from '../../helpers/hubspot-vendor.ts';

const ex = hubspotV3.example;
const request = { method: ex.method, uri: ex.publicBase + ex.pathAndQuery, rawBody: Buffer.from(ex.body), timestamp: ex.timestamp };
const fresh = { now: Number(ex.timestamp) + 1_000, maxAgeMs: hubspotV3.maxAgeMs };

describe('HubSpot v3 signature', () => {
  it("reproduces HubSpot's worked example, with the URI decoded as documented", () => {
    expect(signedUri(request.uri)).toBe(ex.decodedUri);
    expect(signatureV3(ex.secret, request)).toBe(ex.signature);
    expect(checkSignatureV3(ex.secret, request, ex.signature, fresh)).toEqual({ ok: true });
  });

  it('refuses the signature computed over the undecoded URI', () => {
    expect(checkSignatureV3(ex.secret, request, ex.signatureOverUndecodedUri, fresh)).toEqual({ ok: false, reason: 'X-HubSpot-Signature-v3 does not match' });
  });

  it('decodes exactly the documented escapes and leaves the others encoded', () => {
    for (const [escape, char] of Object.entries(hubspotV3.decodedInUri)) expect(signedUri(`https://h/p?q=a${escape}b`)).toBe(`https://h/p?q=a${char}b`);
    for (const escape of hubspotV3.leftEncodedInUri) expect(signedUri(`https://h/p?q=a${escape}b`)).toBe(`https://h/p?q=a${escape}b`);
  });

  it('refuses a timestamp more than 5 minutes old, or that far ahead, whatever the signature', () => {
    const late = checkSignatureV3(ex.secret, request, ex.signature, { ...fresh, now: Number(ex.timestamp) + 300_001 });
    expect(late).toMatchObject({ ok: false, reason: expect.stringContaining('refused as a possible replay') });
    expect(checkSignatureV3(ex.secret, request, ex.signature, { ...fresh, now: Number(ex.timestamp) + 300_000 })).toEqual({ ok: true });
    expect(checkSignatureV3(ex.secret, request, ex.signature, { ...fresh, now: Number(ex.timestamp) - 300_001 })).toMatchObject({ ok: false });
    expect(checkSignatureV3(ex.secret, { ...request, timestamp: 'soon' }, ex.signature, fresh)).toMatchObject({ ok: false });
  });

  it('refuses a missing or wrongly sized signature, and another secret', () => {
    expect(checkSignatureV3(ex.secret, request, undefined, fresh)).toMatchObject({ ok: false, reason: 'X-HubSpot-Signature-v3 is missing' });
    expect(checkSignatureV3(ex.secret, request, 'c2hvcnQ=', fresh)).toMatchObject({ ok: false });
    expect(checkSignatureV3('another-secret', request, ex.signature, fresh)).toMatchObject({ ok: false });
  });
});
