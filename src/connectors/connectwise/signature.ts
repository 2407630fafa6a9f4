import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { siteOrigin } from './client.ts';

// Cloud ConnectWise signs each callback: header `x-content-signature` holds
// base64(HMAC-SHA256(key = SHA-256(signing key), raw body)), and the signing key is read
// from the URL the body names in `Metadata.key_url` (answering {"signing_key": "…"}).
// That URL comes from the untrusted body, so it is fetched only when it is on the
// connection's own site (no request to a host a forger chose).

/** The signature ConnectWise sends for `rawBody` signed with `signingKey`. */
export function callbackSignature(signingKey: string, rawBody: Buffer | string): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

/** Whether `signature` (the header's value) is the one `signingKey` makes for `rawBody`; constant time. */
export function isValidCallbackSignature(signingKey: string, rawBody: Buffer, signature: string): boolean {
  const expected = Buffer.from(callbackSignature(signingKey, rawBody), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The body's key URL when it is on `site` (same origin); otherwise why it cannot be used. */
export function trustedKeyUrl(rawBody: Buffer, site: string): URL | string {
  let body: { Metadata?: { key_url?: unknown } };
  try {
    body = JSON.parse(rawBody.toString('utf8')) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  const raw = body?.Metadata?.key_url;
  if (typeof raw !== 'string' || raw === '') return 'body.Metadata.key_url is missing: the signature cannot be checked';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'body.Metadata.key_url is not a URL';
  }
  const origin = new URL(siteOrigin(site)).origin;
  if (url.origin !== origin) return `body.Metadata.key_url is not on the connection's site ${origin}`;
  return url;
}

// Signing keys by key URL, per process: a burst of callbacks reads the key once.
const keys = new Map<string, string>();
const MAX_KEYS = 1000;

/** The signing key behind `url` (sent with the integration's clientId, as ConnectWise asks of every call). */
export async function fetchSigningKey(url: URL, clientId: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const cached = keys.get(url.href);
  if (cached !== undefined) return cached;
  const response = await fetchImpl(url, { headers: { accept: 'application/json', clientId } });
  if (!response.ok) throw new Error(`ConnectWise signing key at ${url.origin}: HTTP ${response.status}`);
  const key = ((await response.json()) as { signing_key?: unknown }).signing_key;
  if (typeof key !== 'string' || key === '') throw new Error(`ConnectWise signing key at ${url.origin}: no signing_key in the answer`);
  if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
  keys.set(url.href, key);
  return key;
}
