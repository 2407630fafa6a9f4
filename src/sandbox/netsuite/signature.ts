/**
 * The sandbox's check of a NetSuite token-based authentication header, written from the
 * OAuth 1.0a rules (RFC 5849 §3.4) rather than with the library the hub signs with, so a
 * mistake in how the hub signs shows up here: the base string is the method, the URL
 * without its query, and every oauth_* parameter but the signature (realm excluded)
 * together with the query parameters, each percent-encoded (RFC 3986) and sorted;
 * the key is `consumerSecret&tokenSecret`, HMAC-SHA256, base64.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case). */
export const percentEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The parameters of an `Authorization: OAuth k="v", …` header, decoded; undefined when it is not one. */
export function parseOAuthHeader(header: string | undefined): Record<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/is.exec(header ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const part of m[1]!.split(',')) {
    const kv = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) return undefined;
    params[decodeURIComponent(kv[1]!)] = decodeURIComponent(kv[2]!);
  }
  return params;
}

/** The signature base string of a request as the server received it. */
export function signatureBaseString(method: string, url: URL, oauthParams: Record<string, string>): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(oauthParams)) if (k !== 'oauth_signature' && k !== 'realm') pairs.push([percentEncode(k), percentEncode(v)]);
  for (const [k, v] of url.searchParams) pairs.push([percentEncode(k), percentEncode(v)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  const normalised = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const baseUrl = `${url.protocol}//${url.host.toLowerCase()}${url.pathname}`;
  return [method.toUpperCase(), percentEncode(baseUrl), percentEncode(normalised)].join('&');
}

export const hmacSha256Signature = (base: string, consumerSecret: string, tokenSecret: string) =>
  createHmac('sha256', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(base).digest('base64');

export type SignatureCheck = { ok: true; nonce: string; timestamp: number } | { ok: false; why: string };

/** Whether the header is a valid HMAC-SHA256 signature of this request by these credentials. */
export function checkSignature(
  method: string,
  url: URL,
  header: string | undefined,
  expected: { realm: string; consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string },
): SignatureCheck {
  const params = parseOAuthHeader(header);
  if (!params) return { ok: false, why: 'no OAuth authorization header' };
  if (params.realm !== expected.realm) return { ok: false, why: `realm ${params.realm} is not account ${expected.realm}` };
  if (params.oauth_signature_method !== 'HMAC-SHA256') return { ok: false, why: `signature method ${params.oauth_signature_method} is not HMAC-SHA256` };
  if (params.oauth_consumer_key !== expected.consumerKey || params.oauth_token !== expected.tokenId) return { ok: false, why: 'unknown consumer key or token' };
  if (params.oauth_version !== undefined && params.oauth_version !== '1.0') return { ok: false, why: 'oauth_version is not 1.0' };
  if (!params.oauth_nonce || !/^\d+$/.test(params.oauth_timestamp ?? '')) return { ok: false, why: 'nonce or timestamp missing' };
  const want = Buffer.from(hmacSha256Signature(signatureBaseString(method, url, params), expected.consumerSecret, expected.tokenSecret));
  const got = Buffer.from(params.oauth_signature ?? '');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, why: 'signature does not match' };
  return { ok: true, nonce: params.oauth_nonce, timestamp: Number(params.oauth_timestamp) };
}
