import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { netsuiteBaseUrl, netsuiteRealm } from '../../../src/connectors/netsuite/declaration.ts';
import { tokenAuthSigner } from '../../../src/connectors/netsuite/token-auth.ts';
import { checkSignature, parseOAuthHeader, signatureBaseString } from '../../../src/sandbox/netsuite/signature.ts';

// The expected base string and signature were worked out by hand (see the fixture's note),
// not by the signer under test or the sandbox's verifier.
const facts = JSON.parse(readFileSync(new URL('../../fixtures/vendor/netsuite/facts.json', import.meta.url), 'utf8'));
const v = facts.signatureVector;
const credentials = { accountId: facts.host.accountId, consumerKey: v.consumerKey, consumerSecret: v.consumerSecret, tokenId: v.tokenId, tokenSecret: v.tokenSecret };

describe('NetSuite token-based authentication', () => {
  it('names the host and realm from the account id as NetSuite documents', () => {
    expect(netsuiteBaseUrl(facts.host.accountId)).toBe(`https://${facts.host.restHost}`);
    expect(netsuiteRealm(facts.host.restHost.split('.')[0])).toBe(facts.host.realm);
  });

  it('signs HMAC-SHA256 over the query parameters, realm first and outside the signature', () => {
    const sign = tokenAuthSigner(credentials, { nowSeconds: () => v.timestamp, nonce: () => v.nonce });
    const header = sign({ method: v.method, url: v.url });
    expect(header.startsWith(`OAuth realm="${facts.host.realm}",`)).toBe(true);
    const params = parseOAuthHeader(header)!;
    expect(params).toMatchObject({ oauth_consumer_key: 'ck', oauth_token: 'tk', oauth_signature_method: facts.signatureMethod, oauth_nonce: 'abc123', oauth_timestamp: String(v.timestamp), oauth_version: '1.0' });
    expect(params.oauth_signature).toBe(v.signature);
    // The same query as URLSearchParams spells it (space as +) signs the same.
    expect(parseOAuthHeader(sign({ method: v.method, url: v.url.replace(/%20/g, '+') }))!.oauth_signature).toBe(v.signature);
  });

  it('gives every request a fresh nonce (NetSuite refuses one it has seen)', () => {
    const sign = tokenAuthSigner(credentials);
    const nonces = new Set(Array.from({ length: 50 }, () => parseOAuthHeader(sign({ method: 'GET', url: v.url }))!.oauth_nonce));
    expect(nonces.size).toBe(50);
  });

  it("the sandbox's verifier builds the same base string and refuses a wrong secret, method or realm", () => {
    const url = new URL(v.url);
    const header = tokenAuthSigner(credentials, { nowSeconds: () => v.timestamp, nonce: () => v.nonce })({ method: v.method, url: v.url });
    expect(signatureBaseString(v.method, url, parseOAuthHeader(header)!)).toBe(v.baseString);
    const expected = { realm: facts.host.realm, ...credentials };
    expect(checkSignature(v.method, url, header, expected)).toMatchObject({ ok: true, nonce: 'abc123' });
    expect(checkSignature(v.method, url, header, { ...expected, tokenSecret: 'other' })).toEqual({ ok: false, why: 'signature does not match' });
    expect(checkSignature('POST', url, header, expected)).toEqual({ ok: false, why: 'signature does not match' });
    expect(checkSignature(v.method, new URL(v.url.replace('limit=5', 'limit=6')), header, expected)).toEqual({ ok: false, why: 'signature does not match' });
    expect(checkSignature(v.method, url, header, { ...expected, realm: '7654321' }).ok).toBe(false);
    expect(checkSignature(v.method, url, header.replace('HMAC-SHA256', 'HMAC-SHA1'), expected).ok).toBe(false);
  });
});
